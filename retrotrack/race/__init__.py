"""Race timing. (Being written.)"""
