"""Models: the hand-set points sheet, learned points and (later) LightGBM."""
