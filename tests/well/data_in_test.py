"""Data in: slift trains, samples and evaluates on a data set of The Well written by plain h5py.

    data_in_test.py SLIFT_BIN SOURCE_DIR WORK_DIR

Writes train/test/floor files of a small stochastic system (a Gaussian bump on a periodic 16^2
grid doing a random walk of one cell per frame) with h5py alone, in The Well's layout and without
any slift attribute; runs `slift run` on a config whose `data` section names them (no simulate
stage), with a short training of SL and the label-free model; then checks metrics.json, the
report, that a second run does nothing, and that rewriting the training file reruns training.
"""

import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import yaml

SLIFT, SOURCE, WORK = sys.argv[1:4]
N, T = 16, 6
FAILURES = []


def check(ok, what, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "\n" + detail[-3000:]))
    if not ok:
        FAILURES.append(what)


def write_well(path, n_traj, seed):
    rng = np.random.default_rng(seed)
    x = (np.arange(N) + 0.5) / N
    r2 = (x[:, None] - 0.5) ** 2 + (x[None, :] - 0.5) ** 2
    bump = np.exp(-r2 / (2 * 0.08**2)).astype(np.float32)
    u = np.empty((n_traj, T, N, N), np.float32)
    for i in range(n_traj):
        shift = np.zeros(2, int)
        for t in range(T):
            u[i, t] = np.roll(bump, tuple(shift), axis=(0, 1))
            shift += rng.integers(-1, 2, size=2)
    with h5py.File(path, "w") as f:
        f.attrs.update(dataset_name="random_walk", grid_type="cartesian", n_spatial_dims=2,
                       n_trajectories=n_traj, simulation_parameters=["step"], step=1.0)
        dims = f.create_group("dimensions")
        dims.attrs["spatial_dims"] = ["x", "y"]
        for name, values in (("time", np.arange(T, dtype=np.float32)), ("x", x.astype(np.float32)),
                             ("y", x.astype(np.float32))):
            d = dims.create_dataset(name, data=values)
            d.attrs.update(sample_varying=False, time_varying=name == "time")
        bcs = f.create_group("boundary_conditions")
        for axis in ("x", "y"):
            g = bcs.create_group(f"periodic_{axis}")
            g.attrs.update(bc_type="PERIODIC", associated_dims=[axis], associated_fields=["u"],
                           sample_varying=False, time_varying=False)
            mask = np.zeros(N, bool)
            mask[[0, -1]] = True
            g.create_dataset("mask", data=mask)
        scalars = f.create_group("scalars")
        scalars.attrs["field_names"] = ["step"]
        s = scalars.create_dataset("step", data=1.0)
        s.attrs.update(sample_varying=False, time_varying=False)
        for order in range(3):
            f.create_group(f"t{order}_fields").attrs["field_names"] = ["u"] if order == 0 else []
        d = f["t0_fields"].create_dataset("u", data=u)
        d.attrs.update(sample_varying=True, time_varying=True, dim_varying=[True, True])


def slift_run(config, *extra):
    out = subprocess.run([SLIFT, "run", config, "--threads", "1", *extra], capture_output=True, text=True, cwd=WORK)
    return out.returncode, out.stdout + out.stderr


def main():
    shutil.rmtree(WORK, ignore_errors=True)  # a fresh start on every run
    os.makedirs(WORK)
    files = {split: os.path.join(WORK, f"{split}.hdf5") for split in ("train", "test", "floor")}
    for k, (split, path) in enumerate(files.items()):
        write_well(path, 12 if split == "train" else 24, seed=k)
    cfg = yaml.safe_load(open(os.path.join(SOURCE, "configs", "wave.yaml")))
    del cfg["simulate"]
    cfg.update(name="random_walk", output_dir=os.path.join(WORK, "run"), data=files)
    cfg["train"].update(models=["sl", "deterministic"], unet_widths=[8, 16, 32], embed_dim=32, iterations=60,
                        warmup=10, checkpoint_every=60, log_every=30, batch_size=16)
    cfg["sample"].update(n_trajectories=24, batch_size=24)
    config = os.path.join(WORK, "random_walk.yaml")
    yaml.safe_dump(cfg, open(config, "w"))

    code, out = slift_run(config)
    check(code == 0, "slift run on h5py-written Well files", out)
    check("simulate" not in out.split("==> train")[0], "no simulate stage", out)
    metrics = json.load(open(os.path.join(WORK, "run", "metrics.json")))
    for key in ("sl", "deterministic", "sampling_floor", "data_floor"):
        check(key in metrics and np.isfinite(metrics[key]["wim"]), f"metrics.json has {key} with a finite WIM")
    check(metrics["sl"].get("n_generated") == 24, "24 rollouts")
    check(metrics.get("dataset") == "random_walk", "the data set's own name in metrics.json")
    check(os.path.getsize(os.path.join(WORK, "run", "report", "index.html")) > 1000, "report written")

    code, out = slift_run(config, "--dry-run")
    check(code == 0 and "would run" not in out, "a second run has nothing to do", out)
    write_well(files["train"], 12, seed=7)
    code, out = slift_run(config, "--dry-run")
    check(code == 0 and "train:sl" in out and "changed" in out, "a rewritten training file reruns training", out)

    # Bad input: one line naming the key and the file, exit code 2, nothing written.
    cfg["data"]["test"] = os.path.join(WORK, "missing.hdf5")
    cfg["output_dir"] = os.path.join(WORK, "bad")
    yaml.safe_dump(cfg, open(config, "w"))
    code, out = slift_run(config)
    check(code == 2 and "data.test" in out and "random_walk.yaml" in out and len(out.strip().splitlines()) == 1
          and not os.path.exists(cfg["output_dir"]), "a missing data file: exit 2, one line naming data.test", out)
    print(f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
