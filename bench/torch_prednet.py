"""PyTorch baseline for PredLab's benches: PredNet inference time per frame on the CPU.

Our own forward pass, the same architecture as native-models/prednet/model.ts (fused i/f/c/o
gate convolution, hard_sigmoid slope 0.2, 'same' padding, zero initial states), random weights.
Reads the configurations as JSON (argument --configs) and prints one JSON object per line:
{"preset", "ms_per_frame", "cpu_ms_per_frame", "threads", "torch", "peak_rss_mib"} (medians; CPU
time is the process's, all threads).
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--configs", required=True, help='JSON {"preset": config, ...}')
    p.add_argument("--T", type=int, default=10)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", default="0", help="comma-separated thread counts to time; 0: torch's default")
    args = p.parse_args()
    torch.manual_seed(1)
    for preset, c in json.loads(args.configs).items():
        net = PredNet(c).eval()
        x = torch.rand(1, args.T, c["stackSizes"][0], c["height"], c["width"])
        for threads in [int(t) for t in args.threads.split(",")]:
            if threads:
                torch.set_num_threads(threads)
            with torch.inference_mode():
                net(x)  # warm-up
                times, cpu = [], []
                for _ in range(args.reps):
                    t0, c0 = time.perf_counter(), time.process_time()
                    net(x)
                    times.append((time.perf_counter() - t0) * 1000 / args.T)
                    cpu.append((time.process_time() - c0) * 1000 / args.T)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps({"preset": preset, "ms_per_frame": statistics.median(times), "cpu_ms_per_frame": statistics.median(cpu), "threads": torch.get_num_threads(), "torch": torch.__version__, "peak_rss_mib": rss}), flush=True)


if __name__ == "__main__":
    main()
