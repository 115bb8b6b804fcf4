"""Readers turn watch exports into Activity objects. (Being written: see hookspecs.)"""
