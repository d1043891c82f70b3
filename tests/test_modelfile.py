"""Model files: exact round trips, atomic saving, and refusal of every malformed or foreign file.

Every bad file is built inside the test (tmp_path); nothing binary lives in the repository.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from vae_explorer.trainer.errors import ModelFileError, UserError
from vae_explorer.trainer.files.modelfile import FORMAT_NAME, load_model, read_header, save_model
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.model.keras_export import export_keras

# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_small, train_and_save):
    """A `tutorial` VAE trained one short epoch, kept in memory and saved: (trainer, config, result, path)."""
    config = TrainConfig(preset="tutorial", epochs=1, batch_size=32, seed=11)
    path = tmp_path_factory.mktemp("roundtrip") / "model.h5"
    trainer, result = train_and_save(config, mnist_small, path)
    return trainer, config, result, path


@pytest.fixture(scope="module")
def z_probe():
    return np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32)


def sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def tmp_leftovers(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(".tmp-")]


def decoded(model, z) -> np.ndarray:
    return model.decoder(z, training=False).numpy()


def copy_of(src, tmp_path, name="bad.h5"):
    dst = tmp_path / name
    shutil.copyfile(src, dst)
    return dst


# -- exact round trip -----------------------------------------------------------------------


def test_round_trip_gives_identical_encoder_and_decoder(trained, mnist_small, z_probe):
    trainer, _, _, path = trained
    loaded = load_model(path)
    x = mnist_small.x_test[:32]
    for a, b in zip(trainer.model.encoder(x, training=False), loaded.model.encoder(x, training=False), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(decoded(trainer.model, z_probe), decoded(loaded.model, z_probe))
    assert [w.path for w in loaded.model.weights] == [w.path for w in trainer.model.weights]
    for a, b in zip(trainer.model.weights, loaded.model.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_round_trip_keeps_config_history_dataset_and_latent_codes(trained, mnist_small):
    trainer, config, result, path = trained
    loaded = load_model(path)
    assert loaded.config == config
    assert loaded.history == result.history and len(loaded.history) == 1
    assert loaded.dataset == mnist_small.describe()
    means, log_vars = trainer.latent.encode(mnist_small.x_test)
    np.testing.assert_array_equal(loaded.latent.means, means)
    np.testing.assert_array_equal(loaded.latent.log_vars, log_vars)
    np.testing.assert_array_equal(loaded.latent.labels, mnist_small.y_test)
    assert loaded.latent.labels.dtype == np.int32


def test_optimizer_state_is_restored(trained):
    trainer, _, _, path = trained
    loaded = load_model(path)
    assert loaded.optimizer_restored
    assert int(loaded.model.optimizer.iterations.numpy()) == int(trainer.model.optimizer.iterations.numpy()) == 8
    old, new = trainer.model.optimizer.variables, loaded.model.optimizer.variables
    # optimizer names are uniquified per process (adam, adam_1...): compare what follows
    assert [v.path.split("/", 1)[1] for v in old] == [v.path.split("/", 1)[1] for v in new]
    for a, b in zip(old, new, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_sampler_random_state_is_restored_and_optional(trained, tmp_path):
    """The Sampling layer's seed state (not a weight) round-trips; a file from before it was
    saved still loads, with the state a fresh model of that seed starts from."""
    trainer, _, _, path = trained
    state = trainer.model.sampling.seed_generator.state
    fresh = load_model(path).model.random_state()[0].numpy()
    np.testing.assert_array_equal(fresh, state.numpy())
    old = copy_of(path, tmp_path)
    with h5py.File(old, "r+") as f:
        del f["random"]
    from vae_explorer.trainer.model.vae import build_vae

    np.testing.assert_array_equal(
        load_model(old).model.random_state()[0].numpy(), build_vae("tutorial", seed=11).random_state()[0].numpy()
    )
    assert not np.array_equal(fresh, build_vae("tutorial", seed=11).random_state()[0].numpy())
    with h5py.File(old, "r+") as f:
        f.create_dataset("random/00000", data=np.zeros(5, np.float32))
    with pytest.raises(
        ModelFileError, match=r"random variable 'seed_generator\w*/seed_generator_state' has shape \(5,\)"
    ):
        load_model(old)


def test_batchnorm_moving_statistics_are_saved_and_restored(trained):
    trainer, _, _, path = trained
    moving = [w for w in trainer.model.weights if "moving_" in w.path]
    assert len(moving) == 2 * 6  # six BatchNormalization layers in the tutorial preset
    # one epoch of training moved them away from their initial 0 / 1
    assert any(np.abs(w.numpy()).max() > 1e-3 for w in moving if "moving_mean" in w.path)
    with h5py.File(path, "r") as f:
        for w in moving:
            np.testing.assert_array_equal(f["weights"][w.path][()], w.numpy())
    loaded = {w.path: w.numpy() for w in load_model(path).model.weights}
    for w in moving:
        np.testing.assert_array_equal(loaded[w.path], w.numpy())


def test_read_header_does_not_build_or_import_tensorflow(trained):
    _, config, result, path = trained
    code = (
        "import json, sys\n"
        "from vae_explorer.trainer.files.modelfile import read_header\n"
        f"h = read_header({str(path)!r})\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
        "print(json.dumps(h))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    header = json.loads(out.stdout)
    assert header["format"] == FORMAT_NAME and header["format_version"] == 1
    assert header["config"]["preset"] == "tutorial" and header["config"]["image_shape"] == [28, 28, 1]
    assert header["config"]["seed"] == config.seed
    assert header["history"] == result.history
    assert header["latent_codes"] == 64
    assert header["parameters"] == sum(int(np.prod(w.shape)) for w in trained[0].model.weights)


@pytest.mark.parametrize("what", ["vae", "decoder", "encoder"])
def test_export_keras_reloads_with_identical_outputs(trained, tmp_path, what, z_probe, mnist_small):
    import keras

    trainer = trained[0]
    out = tmp_path / f"{what}.keras"
    export_keras(out, trainer.model, what)
    assert out.is_file() and tmp_leftovers(tmp_path) == []
    reloaded = keras.saving.load_model(out)
    if what == "encoder":
        x = mnist_small.x_test[:8]
        for a, b in zip(trainer.model.encoder(x, training=False), reloaded(x, training=False), strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        return
    decoder = reloaded.decoder if what == "vae" else reloaded
    np.testing.assert_array_equal(decoded(trainer.model, z_probe), decoder(z_probe, training=False).numpy())


# -- atomic saving --------------------------------------------------------------------------


def _failing_after(n, exc, real):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > n:
            raise exc
        return real(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("failure", ["h5py-enospc", "h5py-bug", "replace", "interrupt"])
def test_failed_save_leaves_the_previous_file_intact(trained, tmp_path, monkeypatch, failure, z_probe):
    trainer, config, result, src = trained
    path = copy_of(src, tmp_path, "model.h5")
    before = sha(path)
    reference = decoded(trainer.model, z_probe)
    # change the weights so that a half-finished overwrite would be visible
    other = load_model(path).model
    for w in other.weights:
        w.assign(w.numpy() + 0.5)
    if failure == "replace":
        monkeypatch.setattr(os, "replace", _failing_after(0, OSError(errno.EIO, "Input/output error"), os.replace))
        expected, match = UserError, "previous file is intact"
    else:
        exc = {
            "h5py-enospc": OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
            "h5py-bug": RuntimeError("boom"),
            "interrupt": KeyboardInterrupt(),
        }[failure]
        monkeypatch.setattr(h5py.Group, "create_dataset", _failing_after(10, exc, h5py.Group.create_dataset))
        expected = UserError if failure == "h5py-enospc" else type(exc)
        match = "No space left on device" if failure == "h5py-enospc" else None
    with pytest.raises(expected, match=match) as info:
        save_model(path, other, config, result.history)
    if expected is UserError:
        assert str(path) in str(info.value)
    monkeypatch.undo()
    assert sha(path) == before
    assert tmp_leftovers(tmp_path) == []
    np.testing.assert_array_equal(decoded(load_model(path).model, z_probe), reference)


def test_save_overwrites_completely(trained, tmp_path, z_probe):
    trainer, config, result, src = trained
    path = copy_of(src, tmp_path, "model.h5")
    other = load_model(path).model
    for w in other.weights:
        w.assign(w.numpy() * 0.5)
    save_model(path, other, config, result.history)
    again = load_model(path)
    assert again.latent is None  # nothing of the old file survives
    np.testing.assert_array_equal(decoded(again.model, z_probe), decoded(other, z_probe))
    assert tmp_leftovers(tmp_path) == []


# -- refusal of malformed and foreign files -------------------------------------------------


def refused(path, *fragments) -> ModelFileError:
    """Both loaders refuse ``path`` with a ModelFileError naming it and every fragment."""
    for reader in (read_header, load_model):
        with pytest.raises(ModelFileError) as info:
            reader(path)
        err = info.value
        assert err.path == os.fspath(path)
        assert str(err).startswith(os.fspath(path) + ": ")
        assert "\n" not in str(err)
        for fragment in fragments:
            assert fragment in str(err), f"{fragment!r} not in {str(err)!r}"
    return err


def test_missing_file_and_folder(tmp_path):
    refused(tmp_path / "nothing.h5", "no such file")
    (tmp_path / "dir.h5").mkdir()
    refused(tmp_path / "dir.h5", "is not a file")


def test_random_bytes(tmp_path):
    path = tmp_path / "random.h5"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    refused(path, "is not an HDF5 file")
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    refused(empty, "is not an HDF5 file")


@pytest.mark.parametrize("keep", [0.5, 0.1, 0.9])
def test_truncated_file(trained, tmp_path, keep):
    data = Path(trained[3]).read_bytes()
    path = tmp_path / "cut.h5"
    path.write_bytes(data[: int(len(data) * keep)])
    refused(path, "is truncated or damaged")


def test_hdf5_from_another_program(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=np.random.default_rng(0).random((10, 10)))
        f.attrs["creator"] = "some lab tool"
    refused(path, "HDF5 file written by another program")


def test_keras3_weights_file(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    path = tmp_path / "x.weights.h5"
    model.save_weights(path)
    refused(path, "Keras", "not a vae-explorer model")


def test_legacy_keras_model_file(tmp_path):
    path = tmp_path / "legacy.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": []}})
        f.create_group("model_weights").create_dataset("dense/kernel", data=np.zeros((3, 2)))
    refused(path, "is a Keras model file, not a vae-explorer model")
    only_group = tmp_path / "legacy2.h5"
    with h5py.File(only_group, "w") as f:
        f.create_group("model_weights")
    refused(only_group, "is a Keras model file")


def test_keras_archive(trained, tmp_path):
    path = tmp_path / "model.keras"
    export_keras(path, trained[0].model, "vae")
    refused(path, "is a Keras .keras archive")
    renamed = tmp_path / "renamed.h5"
    shutil.copyfile(path, renamed)
    refused(renamed, "is not an HDF5 file")


def edit(src, tmp_path, change, name="bad.h5"):
    path = copy_of(src, tmp_path, name)
    with h5py.File(path, "r+") as f:
        change(f)
    return path


def _replace(f, name, data, **kwargs):
    del f[name]
    f.create_dataset(name, data=data, **kwargs)


def _set_config(**changes):
    def change(f):
        config = json.loads(f.attrs["config"])
        config.update(changes)
        f.attrs["config"] = json.dumps(config)

    return change


BAD_FILES = {
    "missing weight": (
        lambda f: f.__delitem__("weights/enc_bn_1/moving_mean"),
        ["lacks weight(s) enc_bn_1/moving_mean", "tutorial"],
        [],
    ),
    "extra weight": (
        lambda f: f.create_dataset("weights/evil/kernel", data=np.zeros((2, 2), np.float32)),
        ["unexpected weight(s) evil/kernel"],
        [],
    ),
    "wrong shape": (
        lambda f: _replace(f, "weights/z_mean/kernel", np.zeros((20, 3), np.float32)),
        ["weight 'z_mean/kernel' has shape (20, 3), expected (20, 2)"],
        [],
    ),
    "NaN weight": (
        lambda f: f["weights/dec_logits/bias"].__setitem__(0, np.nan),
        ["weight 'dec_logits/bias' holds NaN or infinite values"],
        [],
    ),
    "infinite weight": (
        lambda f: f["weights/enc_conv_1/kernel"].__setitem__((0, 0, 0, 0), np.inf),
        ["weight 'enc_conv_1/kernel' holds NaN or infinite values"],
        [],
    ),
    "string weight": (
        lambda f: _replace(f, "weights/z_mean/bias", ["0.1", "0.2"], dtype=h5py.string_dtype()),
        ["'weights/z_mean/bias' does not hold plain numbers"],
        [],
    ),
    "bool weight": (
        lambda f: _replace(f, "weights/z_mean/bias", np.array([True, False])),
        ["'weights/z_mean/bias' does not hold plain numbers"],
        [],
    ),
    "no weights": (lambda f: f.__delitem__("weights"), ["has no weights"], []),
    "future version": (
        lambda f: f.attrs.__setitem__("format_version", 99),
        ["format version 99", "upgrade vae-explorer"],
        ["read_header"],
    ),
    "version zero": (lambda f: f.attrs.__setitem__("format_version", 0), ["invalid format_version 0"], ["read_header"]),
    "version as text": (
        lambda f: f.attrs.__setitem__("format_version", "1"),
        ["has no valid format_version"],
        ["read_header"],
    ),
    "unknown preset": (_set_config(preset="nope"), ["unknown preset 'nope'"], []),
    "unknown setting": (_set_config(optimizer="sgd"), ["unknown setting(s): optimizer"], []),
    "latent dim as text": (_set_config(latent_dim="abc"), ["setting 'latent_dim' must be a whole number"], []),
    "beta as a list": (_set_config(beta=[1]), ["setting 'beta' must be a number"], []),
    "seed as text": (_set_config(seed="7"), ["setting 'seed' must be a whole number"], []),
    "latent dim zero": (_set_config(latent_dim=0), ["latent dimension must be 1–512 (got 0)"], []),
    "latent dim of a billion": (_set_config(latent_dim=10**9), ["latent dimension must be 1–512"], []),
    "huge images": (
        _set_config(image_shape=[100_000, 100_000, 1]),
        ["images of 100000×100000 px are too large", "at most 1024 px"],
        [],
    ),
    "four channels": (_set_config(image_shape=[28, 28, 4]), ["images must be H×W×1 or H×W×3"], []),
    "image side as bool": (_set_config(image_shape=[28, True, 1]), ["invalid image shape"], []),
    "latent dim of another model": (
        _set_config(latent_dim=3),
        ["weight 'z_mean/kernel' has shape (20, 2), expected (20, 3)"],
        [],
    ),
    "NaN optimizer state": (
        lambda f: f["optimizer/00005"].__setitem__(0, np.nan),
        ["optimizer variable", "holds NaN or infinite values"],
        [],
    ),
    "NaN latent means": (
        lambda f: f["latent/means"].__setitem__((3, 1), np.nan),
        ["latent means hold NaN or infinite values"],
        [],
    ),
    "latent log_vars shape": (
        lambda f: _replace(f, "latent/log_vars", np.zeros((64, 5), np.float32)),
        ["latent log_vars has shape (64, 5), expected (64, 2)"],
        [],
    ),
    "latent without means": (lambda f: f.__delitem__("latent/means"), ["latent group without means"], []),
    "bad image shape": (_set_config(image_shape=[28, 28]), ["invalid image shape"], []),
    "garbage config": (
        lambda f: f.attrs.__setitem__("config", "{not json at all"),
        ["attribute 'config' is not valid JSON"],
        ["read_header"],
    ),
    "config not a dict": (
        lambda f: f.attrs.__setitem__("config", "[1, 2, 3]"),
        ["has no model config"],
        ["read_header"],
    ),
    "config as numbers": (
        lambda f: f.attrs.__setitem__("config", np.arange(3)),
        ["attribute 'config' is not JSON text"],
        ["read_header"],
    ),
    "no format attribute": (
        lambda f: f.attrs.__delitem__("format"),
        ["has no valid 'format' attribute"],
        ["read_header"],
    ),
    "another format": (
        lambda f: f.attrs.__setitem__("format", "vae-explorer-model-v9"),
        ["has no valid 'format' attribute"],
        ["read_header"],
    ),
    "history not a list": (
        lambda f: f.attrs.__setitem__("history", '{"a": 1}'),
        ["malformed history (not a list of epochs)"],
        ["read_header"],
    ),
    "optimizer count": (lambda f: f.__delitem__("optimizer/00003"), ["has 61 optimizer variables, expected 62"], []),
    "optimizer shape": (
        lambda f: _replace(f, "optimizer/00004", np.zeros(7, np.float32)),
        ["optimizer variable", "has shape (7,)"],
        [],
    ),
    "latent wrong width": (
        lambda f: _replace(f, "latent/means", np.zeros((64, 3), np.float32)),
        ["latent means have shape (64, 3)"],
        [],
    ),
    "latent labels rows": (
        lambda f: _replace(f, "latent/labels", np.zeros(5, np.int32)),
        ["latent labels has shape (5,), expected (64,)"],
        [],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_our_format_with_a_defect(trained, tmp_path, case):
    change, fragments, header_too = BAD_FILES[case]
    path = edit(trained[3], tmp_path, change)
    if header_too:
        refused(path, *fragments)
    else:
        read_header(path)  # the header alone is fine: the defect is in the weights
        with pytest.raises(ModelFileError) as info:
            load_model(path)
        assert info.value.path == str(path)
        for fragment in fragments:
            assert fragment in str(info.value), str(info.value)


# -- files crafted to carry code ------------------------------------------------------------


class _TouchOnUnpickle:
    """Unpickling this object creates ``marker`` (what an attacker's payload would do)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _lambda_layer_config(marker) -> dict:
    """A real Keras Lambda layer config whose marshalled function creates ``marker``."""
    import keras

    payload = lambda x, m=str(marker): (open(m, "w").close(), x)[1]  # noqa: E731 (marshalled)
    config = keras.saving.serialize_keras_object(keras.layers.Lambda(payload, name="evil"))
    assert config["config"]["function"]["class_name"] == "__lambda__"  # bytecode, not a name
    return config


def _assert_payloads_are_live(marker, lambda_config=None, pickled=None):
    """A positive control: the payloads used above really do run when deserialised unsafely."""
    import keras

    assert not os.path.exists(marker)
    if lambda_config is not None:
        layer = keras.saving.deserialize_keras_object(lambda_config, safe_mode=False)
        layer(np.zeros((1, 2), np.float32))
        assert os.path.exists(marker)
        os.unlink(marker)
    if pickled is not None:
        pickle.loads(pickled).close()
        assert os.path.exists(marker)
        os.unlink(marker)


def _as_legacy_keras(f, layer_config):
    """Turn the file into a legacy Keras model file whose model_config holds ``layer_config``."""
    for key in ("format", "written_by", "config"):
        del f.attrs[key]
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": [layer_config]}})
    f.create_group("model_weights")


def test_config_carrying_a_lambda_layer_or_os_system_runs_nothing(trained, tmp_path):
    marker = tmp_path / "PWNED"
    lam = _lambda_layer_config(marker)
    system_entry = {
        "module": "os",
        "class_name": "system",
        "config": {"command": f"touch {marker}"},
        "registered_name": "system",
    }
    src = trained[3]
    cases = {
        # refused: the config is checked field by field, unknown keys are errors
        "config is a Lambda": (lambda f: f.attrs.__setitem__("config", json.dumps(lam)), "invalid image shape"),
        "Lambda in config": (_set_config(layers=[lam]), "unknown setting(s): layers"),
        "os.system as preset": (_set_config(preset=system_entry), "setting 'preset' must be text"),
        "os.system as config": (
            lambda f: f.attrs.__setitem__("config", json.dumps(system_entry)),
            "invalid image shape",
        ),
        "Lambda as config with a shape": (
            lambda f: f.attrs.__setitem__("config", json.dumps({**lam, "image_shape": [28, 28, 1]})),
            "unknown setting(s): class_name",
        ),
        "Keras model_config": (lambda f: _as_legacy_keras(f, lam), "is a Keras model file"),
        # ignored: history and dataset descriptions are plain data, never deserialised
        "Lambda in dataset": (lambda f: f.attrs.__setitem__("dataset", json.dumps({"name": "x", "layer": lam})), None),
        "os.system in history": (
            lambda f: f.attrs.__setitem__("history", json.dumps([system_entry])),
            "malformed history (an epoch without its number)",
        ),
        "extra model_config": (
            lambda f: f.attrs.__setitem__(
                "model_config", json.dumps({"class_name": "Sequential", "config": {"layers": [lam]}})
            ),
            None,
        ),
    }
    for i, (case, (change, fragment)) in enumerate(cases.items()):
        path = edit(src, tmp_path, change, name=f"crafted{i}.h5")
        if fragment is None:
            loaded = load_model(path)
            assert loaded.config.preset == "tutorial", case
        else:
            with pytest.raises(ModelFileError, match=None) as info:
                load_model(path)
            assert fragment in str(info.value) and str(path) in str(info.value), (case, str(info.value))
        assert not marker.exists(), f"{case}: code from the file ran"
    _assert_payloads_are_live(marker, lambda_config=lam)


def _vlen(blob, n):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = np.frombuffer(blob, np.uint8)
    return out


def test_pickled_objects_are_never_unpickled(trained, tmp_path):
    marker = tmp_path / "PWNED"
    blob = pickle.dumps(_TouchOnUnpickle(marker))
    opaque = np.void(blob)
    src = trained[3]
    cases = {
        "weight as opaque": (lambda f: _replace(f, "weights/z_mean/bias", opaque), "does not hold plain numbers"),
        "weight as bytes": (lambda f: _replace(f, "weights/z_mean/bias", np.frombuffer(blob, np.uint8)), "has shape"),
        "weight as vlen bytes": (
            lambda f: _replace(f, "weights/z_mean/bias", _vlen(blob, 2), dtype=h5py.vlen_dtype(np.uint8)),
            "does not hold plain numbers",
        ),
        "optimizer as opaque": (lambda f: _replace(f, "optimizer/00000", opaque), "does not hold plain numbers"),
        "labels as opaque": (lambda f: _replace(f, "latent/labels", opaque), "does not hold plain numbers"),
        "config as opaque": (lambda f: f.attrs.__setitem__("config", opaque), "is not JSON text"),
        "history as base64 pickle": (
            lambda f: f.attrs.__setitem__("history", base64.b64encode(blob).decode()),
            "is not valid JSON",
        ),
        # ignored: attributes and datasets the format does not define are never read
        "extra opaque attribute": (lambda f: f.attrs.__setitem__("payload", opaque), None),
        "extra opaque dataset": (lambda f: f.create_dataset("payload", data=opaque), None),
        "written_by as opaque": (lambda f: f.attrs.__setitem__("written_by", opaque), None),
    }
    for i, (case, (change, fragment)) in enumerate(cases.items()):
        path = edit(src, tmp_path, change, name=f"pickled{i}.h5")
        if fragment is None:
            read_header(path)
            assert load_model(path).config.preset == "tutorial", case
        else:
            with pytest.raises(ModelFileError) as info:
                load_model(path)
            assert fragment in str(info.value) and str(path) in str(info.value), (case, str(info.value))
        assert not marker.exists(), f"{case}: a pickle from the file was loaded"
    _assert_payloads_are_live(marker, pickled=blob)
