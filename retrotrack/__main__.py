from retrotrack.cli import main

main()
