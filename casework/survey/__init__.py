"""The satisfaction survey (SKM, Permenpan RB 14/2017): its elements and categories as data, anonymous answers."""
