"""Writes TF2 SavedModels of growing size (real TensorFlow) for bench/load.mjs:
bench/.models/savedmodel-<N>mb, each a tf.Module with float32 variables totalling N MiB and a
signature that reads them. Not committed; run: fixtures/.venv/bin/python bench/make-savedmodels.py
"""
import pathlib

import numpy as np
import tensorflow as tf

OUT = pathlib.Path(__file__).resolve().parent / ".models"


class Big(tf.Module):
    def __init__(self, mib):
        super().__init__()
        rows = 1024
        cols = mib * 256  # 1024 × 256 float32 = 1 MiB
        rng = np.random.default_rng(mib)
        # Several variables, like a real network's layers.
        self.ws = [tf.Variable(rng.standard_normal((rows // 8, cols), dtype=np.float32)) for _ in range(8)]

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def __call__(self, x):
        return {"y": tf.reduce_sum(x) + tf.add_n([tf.reduce_sum(w) for w in self.ws])}


for mib in (1, 8, 64, 256):
    path = OUT / f"savedmodel-{mib}mb"
    module = Big(mib)
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.__call__})
    print("wrote", path)
