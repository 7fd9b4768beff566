"""Trains a PredLab PredNet checkpoint with PyTorch on the CPU (about 10x faster than the tfjs
wasm trainer on the same machine; see the native-speed issue). Same model (bench/torch_prednet.py,
checked against our engine by prepare/pack), same recipe as native-models/training/trainer.ts:
sequences of nt frames inside one recording, L0 loss (mean of E0 over frames 1..nt-1, frame 0
weighted 0), Adam, lr dropped late, validation after every epoch, best epoch kept.

Input: the work folder written by prepare.ts or prepare-natural.ts. Output: <work>/torch-best.bin
(float32 weights in the init checkpoint's manifest order), <work>/torch-best-preds.npy (PyTorch's
predicted frames, float32 (K, nt, H, W, C), of the first K validation sequences of every group, for
pack.ts to compare with our engine's; their starts in torch-best-preds-starts.npy), <work>/curve.csv,
<work>/torch-state.pt (to resume).

Where the work folder has val_groups.npy (a group index per validation sequence; names and
copy-last losses in baseline.json's "groups"), the curve also gives each group's validation loss,
copy-last loss and ratio, and <work>/val-detail.jsonl gives per epoch and group the mean absolute
error of each colour channel (prediction and copy-last) and the mean of each channel in the frames
and in the predictions (a model that loses colour predicts the channels' means alike).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from torch_prednet import PredNet  # noqa: E402

CURVE_HEADER = "step,epoch,lr,train_loss,val_loss,copy_last,ratio,minutes\n"


def load_init(work):
    manifest = json.load(open(os.path.join(work, "init", "predlab-checkpoint.json")))
    blob = np.fromfile(os.path.join(work, "init", "weights.bin"), dtype="<f4")
    tensors = {}
    for e in manifest["weights"]:
        n = int(np.prod(e["shape"])) if e["shape"] else 1
        tensors[e["name"]] = blob[e["offset"] // 4: e["offset"] // 4 + n].reshape(e["shape"])
    return manifest, tensors


def to_torch(net, kw):
    """Keras-named weights (kernels kh, kw, in, out) into the torch model (out, in, kh, kw)."""
    k = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(3, 2, 0, 1)))
    with torch.no_grad():
        for l in range(net.L):
            net.gates[l].weight.copy_(torch.cat([k(kw[f"layer_{g}_{l}/kernel"]) for g in "ifco"], 0))
            net.gates[l].bias.copy_(torch.from_numpy(np.concatenate([kw[f"layer_{g}_{l}/bias"] for g in "ifco"])))
            net.ahat[l].weight.copy_(k(kw[f"layer_ahat_{l}/kernel"]))
            net.ahat[l].bias.copy_(torch.from_numpy(kw[f"layer_ahat_{l}/bias"]))
            if l < net.L - 1:
                net.a[l].weight.copy_(k(kw[f"layer_a_{l}/kernel"]))
                net.a[l].bias.copy_(torch.from_numpy(kw[f"layer_a_{l}/bias"]))


def from_torch(net, manifest):
    """The torch model's weights, flattened in the manifest's order and layout."""
    out = {}
    kt = lambda w: w.detach().numpy().transpose(2, 3, 1, 0)
    for l in range(net.L):
        R = net.c["rStackSizes"][l]
        gw, gb = kt(net.gates[l].weight), net.gates[l].bias.detach().numpy()
        for j, g in enumerate("ifco"):
            out[f"layer_{g}_{l}/kernel"] = gw[..., j * R:(j + 1) * R]
            out[f"layer_{g}_{l}/bias"] = gb[j * R:(j + 1) * R]
        out[f"layer_ahat_{l}/kernel"] = kt(net.ahat[l].weight)
        out[f"layer_ahat_{l}/bias"] = net.ahat[l].bias.detach().numpy()
        if l < net.L - 1:
            out[f"layer_a_{l}/kernel"] = kt(net.a[l].weight)
            out[f"layer_a_{l}/bias"] = net.a[l].bias.detach().numpy()
    return np.concatenate([np.ascontiguousarray(out[e["name"]], dtype="<f4").ravel() for e in manifest["weights"]])


def e0_means(net, x):
    """Mean of E0 per sequence and time step: (B, T). x: (B, T, C, H, W) in [0, 1]."""
    preds = net(x)
    err = torch.cat([F.relu(preds - x), F.relu(x - preds)], 2)
    return err.mean(dim=(2, 3, 4)), preds


PRED_KEEP = 4


def channel_stats(preds, x):
    """Per sequence and colour channel, over frames 1..nt-1: mean |prediction - frame|, mean
    |previous frame - frame| (copy-last), mean of the frames, mean of the predictions. Each (B, C)."""
    p, t, prev = preds[:, 1:], x[:, 1:], x[:, :-1]
    dims = (1, 3, 4)
    return {
        "model_abs_error": (p - t).abs().mean(dim=dims).numpy(),
        "copy_last_abs_error": (prev - t).abs().mean(dim=dims).numpy(),
        "frame_mean": t.mean(dim=dims).numpy(),
        "prediction_mean": p.mean(dim=dims).numpy(),
    }


def batch(frames, starts, nt):
    idx = np.asarray(starts)[:, None] + np.arange(nt)[None, :]
    x = frames[idx].astype(np.float32) / 255.0  # (B, nt, H, W, C)
    return torch.from_numpy(x).permute(0, 1, 4, 2, 3).contiguous()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--drop-epoch", type=int, default=50)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--steps-per-epoch", type=int, default=90)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--nt", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=20261128)
    p.add_argument("--resume", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    w = a.work
    cfg = json.load(open(os.path.join(w, "config.json")))
    # Memory-mapped: the natural recipe's frames are over a gigabyte; batches read what they need.
    frames = np.load(os.path.join(w, "frames.npy"), mmap_mode="r")
    train_starts = np.load(os.path.join(w, "train_starts.npy"))
    val_starts = np.load(os.path.join(w, "val_starts.npy"))
    baseline = json.load(open(os.path.join(w, "baseline.json")))
    copy_last = baseline["copyLastFrame"]
    groups_file = os.path.join(w, "val_groups.npy")
    val_groups = np.load(groups_file) if os.path.exists(groups_file) else None
    group_names = [g["name"] for g in baseline.get("groups", [])] if val_groups is not None else []
    group_copy = [g["copyLastFrame"] for g in baseline.get("groups", [])] if val_groups is not None else []
    manifest, init = load_init(w)
    net = PredNet(manifest["config"])
    to_torch(net, init)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, eps=1e-7)  # Keras's epsilon
    rng = np.random.default_rng(a.seed)
    start_epoch, best, resumed_minutes = 0, float("inf"), 0.0
    state_file = os.path.join(w, "torch-state.pt")
    curve = os.path.join(w, "curve.csv")
    if a.resume:
        s = torch.load(state_file)
        net.load_state_dict(s["net"]), opt.load_state_dict(s["opt"])
        start_epoch, best = s["epoch"], s["best"]
        resumed_minutes = s.get("minutes", 0.0)
        rng = np.random.default_rng(a.seed + start_epoch)
    else:
        header = CURVE_HEADER
        if group_names:
            header = header.rstrip("\n") + "".join(f",val_{g},copy_last_{g},ratio_{g}" for g in group_names) + "\n"
        open(curve, "w").write(header)
    tw = torch.full((a.nt,), 1.0 / (a.nt - 1))
    tw[0] = 0
    xval = batch(frames, val_starts, a.nt)
    # The sequences whose predicted frames are kept for pack.ts: the first PRED_KEEP of each group.
    if val_groups is not None:
        keep = np.concatenate([np.flatnonzero(val_groups == g)[:PRED_KEEP] for g in range(len(group_names))])
    else:
        keep = np.arange(min(PRED_KEEP, len(val_starts)))
    keep_set = set(int(k) for k in keep)
    t0 = time.time() - resumed_minutes * 60  # the curve's minutes go on across a resume
    for epoch in range(start_epoch, a.epochs):
        lr = a.lr if epoch < a.drop_epoch else a.lr / 10
        for g in opt.param_groups:
            g["lr"] = lr
        net.train()
        losses = []
        for _ in range(a.steps_per_epoch):
            x = batch(frames, rng.choice(train_starts, a.batch_size, replace=False), a.nt)
            m, _ = e0_means(net, x)
            loss = (m * tw).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        net.eval()
        with torch.no_grad():
            vms, detail, kept = [], [], {}
            for i in range(0, len(xval), 8):
                m, preds = e0_means(net, xval[i:i + 8])
                vms.append(m)
                if val_groups is not None:
                    detail.append(channel_stats(preds, xval[i:i + 8]))
                for j in range(preds.shape[0]):
                    if i + j in keep_set:
                        kept[i + j] = preds[j].permute(0, 2, 3, 1).numpy()
            vm = torch.cat(vms)
            val = (vm[:, 1:]).mean().item()
        step = (epoch + 1) * a.steps_per_epoch
        mins = (time.time() - t0) / 60
        ratio = val / copy_last
        extra, said = "", ""
        if val_groups is not None:
            per_seq = vm[:, 1:].mean(1).numpy()
            stats = {k: np.concatenate([d[k] for d in detail]) for k in detail[0]}
            record = {"step": step, "epoch": epoch + 1, "groups": {}}
            for g, (name, cl) in enumerate(zip(group_names, group_copy)):
                sel = val_groups == g
                gv = float(per_seq[sel].mean())
                extra += f",{gv:.6f},{cl:.6f},{gv / cl:.4f}"
                said += f" {name} {gv / cl:.3f}"
                record["groups"][name] = {k: [round(float(x), 5) for x in stats[k][sel].mean(0)] for k in stats}
            open(os.path.join(w, "val-detail.jsonl"), "a").write(json.dumps(record) + "\n")
        open(curve, "a").write(f"{step},{epoch + 1},{lr},{np.mean(losses):.6f},{val:.6f},{copy_last:.6f},{ratio:.4f},{mins:.1f}{extra}\n")
        tag = ""
        if val < best:
            best = val
            from_torch(net, manifest).tofile(os.path.join(w, "torch-best.bin"))
            np.save(os.path.join(w, "torch-best-preds.npy"), np.stack([kept[int(k)] for k in keep]).astype(np.float32))
            np.save(os.path.join(w, "torch-best-preds-starts.npy"), np.asarray(val_starts)[keep].astype(np.int32))
            json.dump({"step": step, "epoch": epoch + 1, "valLoss": val}, open(os.path.join(w, "torch-best.json"), "w"))
            tag = " (best)"
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1, "best": best, "minutes": mins}, state_file)
        print(f"epoch {epoch + 1}/{a.epochs} step {step} lr {lr} loss {np.mean(losses):.5f} val {val:.5f} copy-last {copy_last:.5f} ratio {ratio:.3f}{said} {mins:.1f} min{tag}", flush=True)


if __name__ == "__main__":
    main()
