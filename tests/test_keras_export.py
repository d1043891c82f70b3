""".keras exports: the encoder and decoder load in plain Keras, with none of this project imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.model.keras_export import export_keras, plain_copy

# Runs in a fresh interpreter that imports keras and nothing of vae_explorer, and checks that.
PLAIN_KERAS_LOAD = """
import json, sys
import numpy as np
import keras
model = keras.saving.load_model(sys.argv[1])
inputs = np.load(sys.argv[2])
outputs = model(inputs, training=False)
outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
np.savez(sys.argv[3], *[np.asarray(o) for o in outputs])
classes = sorted({type(layer).__module__.split(".")[0] for layer in model.layers})
print(json.dumps({"ours": [m for m in sys.modules if m.startswith("vae_explorer")], "classes": classes}))
"""


@pytest.fixture(scope="module")
def trained_bn(mnist_small, tmp_path_factory, train_and_save):
    """A `tutorial` VAE (BatchNorm everywhere) after one short epoch, so its moving statistics
    are no longer the initial 0 and 1."""
    config = TrainConfig(preset="tutorial", epochs=1, batch_size=32, seed=4)
    trainer, _ = train_and_save(config, mnist_small, tmp_path_factory.mktemp("bn") / "m.h5")
    return trainer.model


def load_in_plain_keras(path, inputs, tmp_path) -> tuple[list[np.ndarray], dict]:
    """Load ``path`` in a subprocess that imports only keras; its outputs on ``inputs``."""
    np.save(tmp_path / "in.npy", inputs)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", PLAIN_KERAS_LOAD, str(path), str(tmp_path / "in.npy"), str(tmp_path / "out.npz")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(tmp_path / "out.npz") as out:
        outputs = [out[f"arr_{i}"] for i in range(len(out.files))]
    return outputs, json.loads(done.stdout.strip().splitlines()[-1])


def test_decoder_export_loads_in_plain_keras_with_the_same_outputs(trained_bn, tmp_path):
    out = tmp_path / "decoder.keras"
    export_keras(out, trained_bn, "decoder")
    z = np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32)
    (decoded,), report = load_in_plain_keras(out, z, tmp_path)
    assert report == {"ours": [], "classes": ["keras"]}
    np.testing.assert_allclose(decoded, trained_bn.decoder(z, training=False).numpy(), atol=1e-6)


def test_encoder_export_loads_in_plain_keras_with_the_same_outputs(trained_bn, tmp_path, mnist_small):
    out = tmp_path / "encoder.keras"
    export_keras(out, trained_bn, "encoder")
    x = mnist_small.x_test[:8]
    (means, log_vars), report = load_in_plain_keras(out, x, tmp_path)
    assert report["ours"] == []
    ours = trained_bn.encoder(x, training=False)
    np.testing.assert_allclose(means, ours[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(log_vars, ours[1].numpy(), atol=1e-5)


def test_plain_copy_swaps_the_fused_batchnorm_and_keeps_every_weight(trained_bn):
    import keras

    from vae_explorer.trainer.model.fused_batchnorm import FusedBatchNormalization

    copy = plain_copy(trained_bn.decoder)
    assert not any(isinstance(layer, FusedBatchNormalization) for layer in copy.layers)
    assert sum(type(layer) is keras.layers.BatchNormalization for layer in copy.layers) == 3
    assert [w.path for w in copy.weights] == [w.path for w in trained_bn.decoder.weights]
    moving = [w for w in trained_bn.decoder.weights if "moving_mean" in w.path]
    assert moving and all(np.abs(w.numpy()).max() > 0 for w in moving)  # trained statistics, not zeros
    for ours, theirs in zip(trained_bn.decoder.weights, copy.weights, strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_whole_vae_export_needs_our_model_module(trained_bn, tmp_path):
    """The VAE class and its Sampling layer are ours: the file loads once
    ``vae_explorer.trainer.model.vae`` is imported (as README and ``export --help`` say)."""
    out = tmp_path / "vae.keras"
    export_keras(out, trained_bn, "vae")
    code = (
        "import sys, numpy as np, keras, vae_explorer.trainer.model.vae\n"
        "m = keras.saving.load_model(sys.argv[1])\n"
        "print(type(m).__name__, m.decoder(np.zeros((1, 2), 'float32')).shape)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["VAE", "(1,", "28,", "28,", "1)"]


def test_export_keras_refuses_other_names_and_parts(trained_bn, tmp_path):
    with pytest.raises(UserError, match=r"must end in \.keras"):
        export_keras(tmp_path / "x.h5", trained_bn, "vae")
    with pytest.raises(UserError, match="cannot export 'sampler'"):
        export_keras(tmp_path / "x.keras", trained_bn, "sampler")
    assert os.listdir(tmp_path) == []
