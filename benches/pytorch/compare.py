"""nabla against PyTorch on docs/benchmarks.md's workloads, in one run on one machine.

Setup (once; about 5 GB, a few minutes):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy threadpoolctl
Run from the repository root:
    /tmp/torchenv/bin/python benches/pytorch/compare.py --quick [--threads 2] [--runs 5] [--isa avx2]
    /tmp/torchenv/bin/python benches/pytorch/compare.py [--threads 2] [--skip-nabla]
    /tmp/torchenv/bin/python benches/pytorch/compare.py --memory [--threads 2] [--only W9]

With --quick (the mode docs/performance.md's tables come from) it times nabla with
`nabla bench --json` (about 2 s a workload) and PyTorch's version of each workload with the
same shapes, thread count and step definition, both with flush-to-zero, alternating side by
side and workload by workload, --runs times (5 by default: single runs on these machines vary
by up to 30%), the sides in one order in odd runs and the other in even ones. It prints each
side's median and range and the ratio of the medians, nabla time / PyTorch time (below 1:
nabla is faster), and numpy's OpenBLAS on W1 in the same rounds.

--isa avx2 caps both sides at AVX2, to measure the AVX2 path on an AVX-512 machine: nabla with
NABLA_ISA, PyTorch with ATEN_CPU_CAPABILITY, MKL_ENABLE_INSTRUCTIONS and ONEDNN_MAX_CPU_ISA,
OpenBLAS with OPENBLAS_CORETYPE=Haswell. The script prints what each library reports it uses.
--baseline BIN also times another nabla binary (an earlier commit's) in the same rounds.

Without --quick it runs nabla's criterion benches (`cargo bench`), then PyTorch once. With
--memory it compares peak resident memory instead: each side trains W4 (the DCGAN example's
networks, batch 64), or the workload --only names, for 10 s in a process of its own. --only
W3,W9 limits --quick to those workloads.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
CRITERION = ROOT / "target" / "criterion"


def seconds_per_call(fn, min_time=2.0, warmup=3):
    for _ in range(warmup):
        fn()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_time:
        fn()
        calls += 1
    return (time.perf_counter() - start) / calls


def w1():
    a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    return seconds_per_call(lambda: a @ b)


def w2():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters())
    x, y = torch.rand(64, 784), torch.arange(64) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return seconds_per_call(step)


def w3():
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(model.parameters())
    x, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return seconds_per_call(step)


def w4(min_time=2.0):
    g = nn.Sequential(
        nn.Linear(100, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(6272, 1),
    )
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(64, 1, 28, 28) * 2 - 1
    ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)

    def iteration():
        fake = g(torch.randn(64, 100))
        od.zero_grad()
        loss_d = F.binary_cross_entropy_with_logits(d(real), ones) + F.binary_cross_entropy_with_logits(
            d(fake.detach()), zeros
        )
        loss_d.backward()
        od.step()
        og.zero_grad()
        F.binary_cross_entropy_with_logits(d(fake), ones).backward()
        og.step()

    return seconds_per_call(iteration, min_time)


def w5():
    lstm = nn.LSTM(64, 256)
    opt = torch.optim.SGD(lstm.parameters(), lr=0.01)
    x = torch.rand(35, 32, 64)

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        (out[-1] ** 2).mean().backward()
        opt.step()

    return seconds_per_call(step)


def w6():
    conv = nn.Conv2d(64, 128, 3, padding=1, bias=False)
    x = torch.rand(32, 64, 32, 32, requires_grad=True)

    def step():
        conv.zero_grad()
        x.grad = None
        conv(x).sum().backward()

    return seconds_per_call(step)


def w7():
    torch.manual_seed(0)
    net = [nn.Conv2d(3, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 128, 3, padding=1)]
    for layer in net:
        layer.requires_grad_(False)

    def features(x):
        a = F.relu(net[0](x))
        b = F.relu(net[1](a))
        c = F.relu(net[2](F.avg_pool2d(b, 2)))
        return [a, b, c]

    def gram(f):
        n, c, h, w = f.shape
        f = f.reshape(n, c, h * w)
        return f @ f.transpose(1, 2) / (c * h * w)

    content, style = torch.rand(1, 3, 128, 128), torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        target_content = features(content)[-1]
        target_grams = [gram(f) for f in features(style)]
    image = content.clone().requires_grad_(True)
    opt = torch.optim.Adam([image], lr=0.02)

    def step():
        opt.zero_grad()
        f = features(image)
        loss = F.mse_loss(f[-1], target_content) + 1e5 * sum(F.mse_loss(gram(a), t) for a, t in zip(f, target_grams))
        loss.backward()
        opt.step()

    return seconds_per_call(step)


def w8():
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(),
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784),
    )
    opt = torch.optim.Adam(model.parameters())
    x = torch.rand(128, 784)

    def step():
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(x), x).backward()
        opt.step()

    return seconds_per_call(step)


def w9(min_time=2.0):
    """4 pre-norm layers, 4 heads, width 128, feed-forward 512, GELU, vocabulary 96, learned
    positions, a final norm; batch 32 x 128 tokens; AdamW. nn.MultiheadAttention runs PyTorch's
    fused scaled_dot_product_attention when, as here, no weights are asked for."""
    torch.manual_seed(9)
    layer = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    encoder = nn.TransformerEncoder(layer, 4, norm=nn.LayerNorm(128), enable_nested_tensor=False)
    embedding, head = nn.Embedding(96, 128), nn.Linear(128, 96)
    positions = nn.Parameter(torch.randn(128, 128) * 0.02)
    params = list(encoder.parameters()) + list(embedding.parameters()) + list(head.parameters()) + [positions]
    opt = torch.optim.AdamW(params)
    tokens = torch.randint(0, 96, (32, 129))
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    mask = nn.Transformer.generate_square_subsequent_mask(128)

    def step():
        opt.zero_grad()
        x = encoder(embedding(inputs) + positions, mask=mask, is_causal=True)
        F.cross_entropy(head(x).reshape(-1, 96), targets.reshape(-1)).backward()
        opt.step()

    return seconds_per_call(step, min_time)


# (workload, PyTorch function, criterion id, calls of nabla's bench per workload step)
WORKLOADS = [
    ("W1 matmul N=1024", w1, "W1_matmul/1024", 1),
    ("W2 MLP step", w2, "W2_mlp_step", 1),
    ("W3 CNN step", w3, "W3_cnn_step", 1),
    ("W4 DCGAN iteration", w4, "W4_dcgan_iteration", 1),
    ("W5 LSTM step", w5, "W5_lstm_step", 1),
    ("W6 Conv2d fwd+bwd", w6, "W6_conv2d/forward_backward", 1),
    ("W7 style step", w7, None, 1),
    ("W8 autoencoder step", w8, "W8_autoencoder_step", 1),
    ("W9 transformer step", w9, "W9_transformer_step", 1),
]

BENCHES = ["w1_matmul", "w2_w8_mlp", "w3_w6_conv", "w4_dcgan", "w5_lstm", "w7_style", "w9_transformer"]


def criterion_seconds(bench_id):
    estimates = CRITERION / bench_id / "new" / "estimates.json"
    return json.loads(estimates.read_text())["mean"]["point_estimate"] / 1e9


def nabla_w7_seconds():
    # stylize() for 10 steps and for 1 step: the difference over 9 steps is one step.
    return (criterion_seconds("W7_style/6_steps") - criterion_seconds("W7_style/1_step")) / 5


def nabla_bench_seconds(workload, threads, binary=None):
    """Seconds per step of one workload from `nabla bench --json` (W7 less its fixed cost)."""
    out = ROOT / "target" / "nabla-bench.json"
    subprocess.run(
        [str(binary or ROOT / "target" / "release" / "nabla"), "bench", "--only", workload, "--threads", str(threads),
         "--seconds", "2", "--json", str(out)],
        check=True, stdout=subprocess.DEVNULL,
    )
    return json.loads(out.read_text())[0]["seconds_per_step"]


# What --isa sets for each side. PyTorch reads its variables when it loads, so the script runs
# itself again with them set.
ISA_ENV = {
    "avx2": {"NABLA_ISA": "avx2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
             "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "avx512": {"NABLA_ISA": "avx512", "ATEN_CPU_CAPABILITY": "avx512", "MKL_ENABLE_INSTRUCTIONS": "AVX512",
               "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"},
}

NUMPY_W1 = """
import sys, time
import numpy as np
try:
    from threadpoolctl import threadpool_info
    blas = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
    kernel = f"OpenBLAS {blas[0]['version']}, {blas[0]['architecture']} kernel" if blas else "no OpenBLAS found"
except ImportError:
    kernel = "OpenBLAS (install threadpoolctl to see its kernel)"
a, b = np.random.rand(1024, 1024).astype(np.float32), np.random.rand(1024, 1024).astype(np.float32)
for _ in range(3):
    a @ b
calls, start = 0, time.perf_counter()
while time.perf_counter() - start < 2:
    a @ b
    calls += 1
print(kernel)
print((time.perf_counter() - start) / calls)
"""


def numpy_w1_seconds(threads, isa):
    """W1 with numpy's OpenBLAS in a child process: (seconds per product, the kernel it reports)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    if isa == "avx2":
        env["OPENBLAS_CORETYPE"] = "Haswell"
    try:
        out = subprocess.run([sys.executable, "-c", NUMPY_W1], env=env, check=True, capture_output=True,
                             text=True).stdout.splitlines()
    except subprocess.CalledProcessError as error:
        return None, f"numpy failed: {error.stderr.strip().splitlines()[-1:]}"
    return float(out[-1]), out[-2]


def pytorch_isa_report():
    """What PyTorch says it runs: ATen's kernels, and oneDNN's ISA from its verbose log."""
    probe = ("import torch; torch.nn.functional.conv2d(torch.rand(2, 16, 16, 16), torch.rand(32, 16, 3, 3)); "
             "print('ATen CPU capability:', torch.backends.cpu.get_cpu_capability())")
    out = subprocess.run([sys.executable, "-c", probe], env={**os.environ, "ONEDNN_VERBOSE": "1"},
                         capture_output=True, text=True).stdout.splitlines()
    isa = [line.split("isa:", 1)[1].strip() for line in out if "isa:" in line]
    aten = [line for line in out if line.startswith("ATen")]
    mkl = os.environ.get("MKL_ENABLE_INSTRUCTIONS", "not capped (MKL picks the CPU's best)")
    return f"{aten[0] if aten else 'ATen: ?'}; oneDNN ISA: {isa[0] if isa else '?'}; MKL_ENABLE_INSTRUCTIONS: {mkl}"


def spread(values):
    """`median (min–max)` of seconds, in ms."""
    return f"{statistics.median(values) * 1e3:.2f} ({min(values) * 1e3:.2f}–{max(values) * 1e3:.2f})"


def compare_quick(args):
    """--runs rounds, each timing every workload on each side in turn; medians and ranges."""
    subprocess.run(["cargo", "build", "--release", "-p", "nabla-cli"], cwd=ROOT, check=True)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    print(f"\nPyTorch {torch.__version__}, {args.threads} threads, flush-to-zero on, {args.runs} interleaved runs, "
          f"instruction set: {args.isa or 'native'}")
    print(f"PyTorch reports: {pytorch_isa_report()}")
    print(f"nabla: NABLA_ISA={os.environ.get('NABLA_ISA', '(unset: the CPU best)')}")
    sides = {"nabla": {}, "PyTorch": {}, "baseline": {}, "numpy": []}
    blas_kernel = None
    chosen = [w for w in WORKLOADS if not args.only or w[0].split()[0] in args.only.split(",")]
    for run in range(args.runs):
        for name, fn, _, _ in chosen:
            key = name.split()[0]
            timers = [("nabla", lambda: nabla_bench_seconds(key, args.threads))]
            if args.baseline:
                timers.append(("baseline", lambda: nabla_bench_seconds(key, args.threads, args.baseline)))
            timers.append(("PyTorch", fn))
            # Every other run the other way round: the side timed first, right after the other
            # sides' previous workload, ran up to 16% slower in some runs (docs/performance.md).
            for side, timer in timers if run % 2 == 0 else reversed(timers):
                sides[side].setdefault(key, []).append(timer())
            if key == "W1":
                seconds, blas_kernel = numpy_w1_seconds(args.threads, args.isa)
                if seconds is not None:
                    sides["numpy"].append(seconds)
        print(f"run {run + 1} of {args.runs} done", file=sys.stderr)
    baseline = " baseline nabla, ms |" if args.baseline else ""
    print(f"\n| workload | nabla, ms: median (range) |{baseline} PyTorch, ms: median (range) | ratio of medians |")
    print("|---|---|---|---|" + ("---|" if args.baseline else ""))
    for name, _, _, _ in chosen:
        key = name.split()[0]
        ours, theirs = sides["nabla"][key], sides["PyTorch"][key]
        extra = f" {spread(sides['baseline'][key])} |" if args.baseline else ""
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(f"| {name} | {spread(ours)} |{extra} {spread(theirs)} | {ratio:.2f} |")
    flops = {"W1": 2 * 1024**3, "W6": 3 * 2 * 32 * 128 * 32 * 32 * 64 * 9}
    for key, count in flops.items():
        if key not in sides["nabla"]:
            continue
        rates = {side: count / statistics.median(sides[side][key]) / 1e9 for side in ("nabla", "PyTorch")}
        print(f"{key}: nabla {rates['nabla']:.0f} GFLOP/s, PyTorch {rates['PyTorch']:.0f} GFLOP/s (medians)")
    if sides["numpy"]:
        numpy_rate = flops["W1"] / statistics.median(sides["numpy"]) / 1e9
        nabla_rate = flops["W1"] / statistics.median(sides["nabla"]["W1"]) / 1e9
        print(f"W1 numpy ({blas_kernel}): {numpy_rate:.0f} GFLOP/s median, range "
              f"{flops['W1'] / max(sides['numpy']) / 1e9:.0f}–{flops['W1'] / min(sides['numpy']) / 1e9:.0f}; "
              f"nabla / numpy GFLOP/s = {nabla_rate / numpy_rate:.2f}")
    elif "W1" in sides["nabla"]:
        print(f"W1 numpy: not measured ({blas_kernel})")


MEMORY_SECONDS = 10


def rss_mib():
    """This process's resident memory now, in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


MEMORY_WORKLOADS = {"W4": w4, "W9": w9}


def memory_child(threads, workload):
    """Trains the workload for MEMORY_SECONDS in this process; prints its RSS before it is built
    and at peak."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    setup_rss = rss_mib()
    MEMORY_WORKLOADS[workload](MEMORY_SECONDS)
    print(json.dumps({"setup_mib": setup_rss, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def compare_memory(threads, workload):
    """Peak RSS of each side training the workload for MEMORY_SECONDS, each in a fresh process."""
    subprocess.run(["cargo", "build", "--release", "-p", "nabla-cli"], cwd=ROOT, check=True)
    measure = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    nabla = [str(ROOT / "target" / "release" / "nabla"), "bench", "--only", workload, "--threads", str(threads),
             "--seconds", str(MEMORY_SECONDS)]
    ours = float(subprocess.run([sys.executable, "-c", measure, *nabla], check=True, capture_output=True,
                                text=True).stdout)
    child = subprocess.run([sys.executable, __file__, "--memory-child", "--threads", str(threads), "--only", workload],
                           check=True, capture_output=True, text=True).stdout
    theirs = json.loads(child.strip().splitlines()[-1])
    print(f"\n{workload} trained for {MEMORY_SECONDS} s, {threads} threads: peak resident memory")
    print(f"| side | peak RSS | RSS before the networks are built |")
    print(f"|---|---|---|")
    print(f"| nabla | {ours:.0f} MiB | (the binary starts at a few MiB) |")
    print(f"| PyTorch {torch.__version__} | {theirs['peak_mib']:.0f} MiB | {theirs['setup_mib']:.0f} MiB |")
    print(f"| PyTorch, less its RSS before the networks | {theirs['peak_mib'] - theirs['setup_mib']:.0f} MiB | |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory", action="store_true", help="compare peak resident memory on W4 instead")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-nabla", action="store_true", help="use the criterion results already in target/")
    parser.add_argument("--quick", action="store_true", help="time nabla with `nabla bench`, alternating with PyTorch")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds with --quick (default 5)")
    parser.add_argument("--isa", choices=sorted(ISA_ENV), help="cap both sides at this instruction set (--quick)")
    parser.add_argument("--baseline", help="another nabla binary to time in the same rounds (--quick)")
    parser.add_argument("--only", help="these workloads (--quick: comma-separated; --memory: W4 or W9)")
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.threads, args.only or "W4")
    if args.memory:
        return compare_memory(args.threads, args.only or "W4")
    if args.isa and any(os.environ.get(k) != v for k, v in ISA_ENV[args.isa].items()):
        # PyTorch has read its variables already: run again with them set.
        env = {**os.environ, **ISA_ENV[args.isa]}
        os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]], env)
    if args.quick:
        return compare_quick(args)
    if not args.skip_nabla:
        for bench in BENCHES:
            subprocess.run(
                ["cargo", "bench", "--bench", bench, "--", "--noplot"],
                cwd=ROOT, check=True, env={**os.environ, "RAYON_NUM_THREADS": str(args.threads)},
            )
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    print(f"\nPyTorch {torch.__version__}, {args.threads} threads, flush-to-zero on\n")
    print(f"| workload | nabla | PyTorch | ratio (nabla / PyTorch time) |")
    print(f"|---|---|---|---|")
    for name, fn, bench_id, _ in WORKLOADS:
        ours = nabla_w7_seconds() if bench_id is None else criterion_seconds(bench_id)
        theirs = fn()
        def show(seconds):
            if name.startswith("W1"):
                return f"{2 * 1024**3 / seconds / 1e9:.0f} GFLOP/s"
            if name.startswith("W6"):
                return f"{3 * 2 * 32 * 128 * 32 * 32 * 64 * 9 / seconds / 1e9:.0f} GFLOP/s"
            return f"{seconds * 1e3:.2f} ms ({1 / seconds:.1f}/s)"
        print(f"| {name} | {show(ours)} | {show(theirs)} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
