"""Helpers shared by the book's chapters: data sets, small models, one training loop, plots.

Every chapter imports from here instead of copying code, so a fix to the training loop or
a plot style reaches the whole book at once. Nothing here downloads anything.
"""
