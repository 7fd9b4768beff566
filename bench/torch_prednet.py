"""PyTorch baseline for PredLab's benches: PredNet inference and training time per frame on the CPU.

Our own forward pass, the same architecture as native-models/prednet/model.ts (fused i/f/c/o
gate convolution, hard_sigmoid slope 0.2, 'same' padding, zero initial states), random weights.
Training is the recipe of native-models/training/trainer.ts and scripts/torch-trainer/train.py:
L0 loss (mean of E0, time weights 0 then 1/(nt-1)), Adam lr 1e-3 eps 1e-7, one step per batch.
Reads the configurations as JSON (argument --configs) and prints one JSON object per line:
{"preset", "mode", "batch", "nt", "ms_per_frame", "cpu_ms_per_frame", "threads", "torch",
"peak_rss_mib"} (medians of --reps after one warm-up; per frame = per batch x time step for
training; CPU time is the process's, all threads; peak RSS is the process's so far, so run one
measurement per process to get its own).
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F


class PredNet(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.L = len(c["stackSizes"])
        self.gates = torch.nn.ModuleList()
        self.ahat = torch.nn.ModuleList()
        self.a = torch.nn.ModuleList()
        for l in range(self.L):
            a, r = c["stackSizes"][l], c["rStackSizes"][l]
            up = c["rStackSizes"][l + 1] if l < self.L - 1 else 0
            self.gates.append(torch.nn.Conv2d(r + 2 * a + up, 4 * r, c["rFiltSizes"][l], padding="same"))
            self.ahat.append(torch.nn.Conv2d(r, a, c["ahatFiltSizes"][l], padding="same"))
            if l < self.L - 1:
                self.a.append(torch.nn.Conv2d(2 * a, c["stackSizes"][l + 1], c["aFiltSizes"][l], padding="same"))

    @staticmethod
    def hard_sigmoid(x):
        return torch.clamp(0.2 * x + 0.5, 0, 1)

    def forward(self, frames):
        """frames: (N, T, C, H, W) in [0, 1]; returns the predictions, same shape."""
        c, L = self.c, self.L
        N, T = frames.shape[:2]
        z = lambda l, ch: frames.new_zeros(N, ch, c["height"] >> l, c["width"] >> l)
        r = [z(l, c["rStackSizes"][l]) for l in range(L)]
        cell = [z(l, c["rStackSizes"][l]) for l in range(L)]
        e = [z(l, 2 * c["stackSizes"][l]) for l in range(L)]
        preds = []
        for t in range(T):
            new_r, new_c = [None] * L, [None] * L
            for l in reversed(range(L)):
                parts = [r[l], e[l]]
                if l < L - 1:
                    parts.append(F.interpolate(new_r[l + 1], scale_factor=2, mode="nearest"))
                zi, zf, zc, zo = torch.chunk(self.gates[l](torch.cat(parts, 1)), 4, 1)
                new_c[l] = self.hard_sigmoid(zf) * cell[l] + self.hard_sigmoid(zi) * torch.tanh(zc)
                new_r[l] = self.hard_sigmoid(zo) * torch.tanh(new_c[l])
            r, cell = new_r, new_c
            a = frames[:, t]
            for l in range(L):
                ahat = F.relu(self.ahat[l](r[l]))
                if l == 0:
                    ahat = torch.clamp(ahat, max=c["pixelMax"])
                    preds.append(ahat)
                e[l] = torch.cat([F.relu(ahat - a), F.relu(a - ahat)], 1)
                if l < L - 1:
                    a = F.max_pool2d(F.relu(self.a[l](e[l])), 2)
        return torch.stack(preds, 1)


def l0_loss(net, x):
    """The L0 training loss of a batch x: (B, nt, C, H, W) in [0, 1]."""
    preds = net(x)
    e0 = torch.cat([F.relu(preds - x), F.relu(x - preds)], 2).mean(dim=(2, 3, 4))  # (B, nt)
    nt = x.shape[1]
    tw = torch.full((nt,), 1.0 / (nt - 1), device=x.device)
    tw[0] = 0
    return (e0 * tw).sum(1).mean()


def timed(fn, reps, frames, device):
    """Median wall and CPU ms per frame of fn() over reps runs, after one warm-up run (on a GPU, until its work is done)."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    fn()
    sync()
    times, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000 / frames)
        cpu.append((time.process_time() - c0) * 1000 / frames)
    return statistics.median(times), statistics.median(cpu)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--configs", required=True, help='JSON {"preset": config, ...}')
    p.add_argument("--T", type=int, default=10)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", default="0", help="comma-separated thread counts to time; 0: torch's default")
    p.add_argument("--mode", choices=["infer", "train"], default="infer")
    p.add_argument("--batches", default="4", help="train: comma-separated batch sizes")
    p.add_argument("--nt", type=int, default=10, help="train: time steps per sequence")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="cuda: the first GPU (bench:model --gpu)")
    args = p.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: this torch sees no CUDA GPU")
    device = torch.device(args.device)
    device_name = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    if not (1 <= args.T <= 100 and 1 <= args.reps <= 100 and 2 <= args.nt <= 100):
        p.error("--T and --reps must be in 1..100, --nt in 2..100")
    batches = [int(b) for b in args.batches.split(",")]
    if any(not 1 <= b <= 64 for b in batches):
        p.error("--batches must be in 1..64")
    torch.manual_seed(1)
    for preset, c in json.loads(args.configs).items():
        net = PredNet(c).to(device)
        for threads in [int(t) for t in args.threads.split(",")]:
            if threads:
                torch.set_num_threads(threads)
            runs = []
            if args.mode == "infer":
                net.eval()
                x = torch.rand(1, args.T, c["stackSizes"][0], c["height"], c["width"], device=device)
                with torch.inference_mode():
                    runs.append((1, args.T, timed(lambda: net(x), args.reps, args.T, device)))
            else:
                net.train()
                opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
                for b in batches:
                    x = torch.rand(b, args.nt, c["stackSizes"][0], c["height"], c["width"], device=device)

                    def step():
                        loss = l0_loss(net, x)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        loss.item()

                    runs.append((b, args.nt, timed(step, args.reps, b * args.nt, device)))
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            gpu_mib = torch.cuda.max_memory_allocated() / 2**20 if args.device == "cuda" else None
            for b, nt, (ms, cpu) in runs:
                print(json.dumps({"preset": preset, "mode": args.mode, "batch": b, "nt": nt, "ms_per_frame": ms, "cpu_ms_per_frame": cpu, "threads": torch.get_num_threads(), "torch": torch.__version__, "peak_rss_mib": rss, "device": device_name, "peak_gpu_mib": gpu_mib}), flush=True)


if __name__ == "__main__":
    main()
