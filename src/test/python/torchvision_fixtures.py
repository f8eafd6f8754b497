#!/usr/bin/python3
"""Real conv nets for the ONNX importer: torchvision models exported by torch.onnx.export.

Random-weight resnet18, mobilenet_v2, squeezenet1_1 and densenet121 (num_classes 10), a CIFAR
VGG-11 with batch norm, mobilenet_v3_small and _large, efficientnet_b0 and _v2_s, regnet_y_400mf
and regnet_x_400mf, mnasnet1_0, googlenet (no aux logits, no input transform), resnet50,
resnext50_32x4d, wide_resnet50_2, squeezenet1_0, shufflenet_v2_x1_0 and convnext_tiny, each in
eval mode, exported at opsets 13 and 17 with input `images` [N, 3, 32, 32] (the batch
dynamic) and output `logits` [N, 10]. (torchvision's vgg11_bn is not among them: at 32 x 32 its
AdaptiveAvgPool2d((7, 7)) meets a 1 x 1 map, which torch.onnx.export refuses, "output size that
are not factor of input size"; the CIFAR VGG-11 stands for it.) PyTorch 1.13 folds a
BatchNorm that follows a Conv into the Conv and names the result `onnx::Conv_N`; densenet121's other batch norms stay
BatchNormalization nodes. Batch norms get random running statistics first, so evaluation mode
is not the identity.

Layout of OUT:

    models.json            the models, with torch's version, the layout, the opsets and the
                           float64 models; written last, so a folder that has it is complete (a
                           rerun that would write the same does nothing; an older one is made
                           again)
    <model>.onnx           the model, opset 13
    <model>_17.onnx        the model, opset 17
    <model>_images.npy     8 images [8, 3, 32, 32] float32 in [0, 1], NCHW (uniform noise)
    <model>_logits.npy     PyTorch's float32 logits of those images, eval mode

and, for gradients, every model again (other random weights) exported with
training=TrainingMode.TRAINING (batch norms and state_dict names kept, dropout and stochastic
depth ratios set to 0 so that a step is deterministic), with one SGD step's gradients in PyTorch
(train mode: batch norms on batch statistics):

    <model>_grad.onnx      the model, initializers named as its state_dict, opset 13
    <model>_grad_17.onnx   the same at opset 17
    <model>_grad_images.npy  16 images [16, 3, 32, 32] float32 in [0, 1]
    <model>_grad_labels.npy  their labels, int64 in [0, 10)
    <model>_grad_logits.npy  PyTorch's float32 logits of those images, train mode
    <model>_grad.json      the parameters, in named_parameters order, and the loss
    <model>_grad/<name>.npy  d(mean cross-entropy)/d(parameter), float32, PyTorch's layout

and, for the models of FLOAT64_MODELS (those whose float32 step may decide a unit otherwise
than float64 does), the same step in float64 (`model.double()`, the same weights and images)
with the input of every decision its gradient follows, in the order the forward pass calls them
(the order of the export's Relu, Clip and MaxPool nodes):

    <model>_grad64/<name>.npy      the float64 gradients, float64, PyTorch's layout
    <model>_grad64_logits.npy      the float64 logits of the 16 images, train mode
    <model>_grad64.json            the float64 loss and the decisions: kind (relu, clip with its
                                   min and max, pool) and shape, and for relu and clip a file
    <model>_grad64/decision_K.npy  the K-th decision's float64 input, NCHW (or [N, units])

and, for the paper's initializer on a graph, the gradient export's model before its step (for
the HEAVY models, whose inits take minutes, only with --all: CI runs without it):

    <model>_init.npy       the init batch, [B, 3, 32, 32] float32 in [0, 1] (uniform noise;
                           B from SVD_BATCH, INIT_N for a model with nothing to rewrite)

and, for the models with square convolutions of one group (SVD_BATCH), PyTorch's float64 init:

    <model>_svd.json       the rewritten convolutions, in the order they were rewritten
    <model>_svd/<name>.npy each one's kernel after the init, float32, OIHW

The SVD init on a graph (docs/design.md): for every Conv with in == out channels and
groups 1, in the order the forward pass reaches them, the conv's input is computed by the
current network on the init batch (batch norms on batch statistics, running statistics left
alone); its patches with the conv's padding, stride and dilation (rows (sample, h, w), columns
as the kernel flattens) are P = U S V^T in float64 (top_singular); W = U[0:wd, 0:wd] S^(-1/2)
V[:, 0:wd]^T (wd = out channels), divided by the Frobenius norm of the conv's output with its
bias.

Usage: torchvision_fixtures.py --out DIR [--all]
"""

import argparse
import copy
import json
import os
import warnings

import numpy as np
import torch
import torchvision

# a training export drops num_batches_tracked's update, and says so once per batch norm
warnings.filterwarnings("ignore", message="ONNX Preprocess - Removing mutation")

N = 8
GRAD_N = 16
OPSETS = (13, 17)
CLASSES = 10
VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


class CifarVgg(torch.nn.Module):
    """VGG-11 with batch norm for 32 x 32 images: five stages, then one linear layer."""

    def __init__(self):
        super().__init__()
        layers = []
        channels = 3
        for v in VGG11:
            if v == "M":
                layers.append(torch.nn.MaxPool2d(2))
            else:
                layers += [torch.nn.Conv2d(channels, v, 3, padding=1),
                           torch.nn.BatchNorm2d(v), torch.nn.ReLU(inplace=True)]
                channels = v
        self.features = torch.nn.Sequential(*layers)
        self.classifier = torch.nn.Linear(512, CLASSES)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def models():
    return {
        "resnet18": lambda: torchvision.models.resnet18(num_classes=CLASSES),
        "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(num_classes=CLASSES),
        "squeezenet1_1": lambda: torchvision.models.squeezenet1_1(num_classes=CLASSES),
        "densenet121": lambda: torchvision.models.densenet121(num_classes=CLASSES),
        "vgg11_bn_cifar": CifarVgg,
    }


def eval_models():
    """The newer conv nets: hard swish and sigmoid, squeeze-excitation and SiLU, grouped
    convolutions, spatial means, channel split and shuffle, bottlenecks at 4 times the width,
    and ConvNeXt's channels-last blocks (layer norms, pointwise linear layers, GELU, layer
    scales)."""
    m = torchvision.models
    return {
        "mobilenet_v3_small": lambda: m.mobilenet_v3_small(num_classes=CLASSES),
        "mobilenet_v3_large": lambda: m.mobilenet_v3_large(num_classes=CLASSES),
        "efficientnet_b0": lambda: m.efficientnet_b0(num_classes=CLASSES),
        "regnet_y_400mf": lambda: m.regnet_y_400mf(num_classes=CLASSES),
        "mnasnet1_0": lambda: m.mnasnet1_0(num_classes=CLASSES),
        "googlenet": lambda: m.googlenet(
            num_classes=CLASSES, aux_logits=False, transform_input=False, init_weights=True),
        "resnet50": lambda: m.resnet50(num_classes=CLASSES),
        "resnext50_32x4d": lambda: m.resnext50_32x4d(num_classes=CLASSES),
        "wide_resnet50_2": lambda: m.wide_resnet50_2(num_classes=CLASSES),
        "squeezenet1_0": lambda: m.squeezenet1_0(num_classes=CLASSES),
        "efficientnet_v2_s": lambda: m.efficientnet_v2_s(num_classes=CLASSES),
        "regnet_x_400mf": lambda: m.regnet_x_400mf(num_classes=CLASSES),
        "shufflenet_v2_x1_0": lambda: m.shufflenet_v2_x1_0(num_classes=CLASSES),
        "convnext_tiny": lambda: m.convnext_tiny(num_classes=CLASSES),
    }


def export_eval(out, name, make, seed):
    """The model in eval mode (random running statistics), exported at each of OPSETS, its
    images and PyTorch's logits."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(100 + seed)
    model = make()
    with torch.no_grad():
        randomize_running_statistics(model, generator)
    model.eval()
    images = torch.rand(N, 3, 32, 32, generator=generator)
    with torch.no_grad():
        logits = model(images)
    for opset in OPSETS:
        path = os.path.join(out, name + ("" if opset == 13 else "_%d" % opset) + ".onnx")
        torch.onnx.export(model, images, path, input_names=["images"], output_names=["logits"],
                          opset_version=opset,
                          dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}})
    np.save(os.path.join(out, name + "_images.npy"), images.numpy())
    np.save(os.path.join(out, name + "_logits.npy"), logits.numpy())
    print(f"{name}: exported, logits {tuple(logits.shape)}", flush=True)
    return sum(p.numel() for p in model.parameters())


def randomize_running_statistics(model, generator):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(0.1 * torch.randn(c, generator=generator))
            m.running_var.copy_(0.5 + torch.rand(c, generator=generator))
            m.weight.data.copy_(1 + 0.2 * torch.randn(c, generator=generator))
            m.bias.data.copy_(0.1 * torch.randn(c, generator=generator))


# the init batch per model with square convolutions of one group: at least as many rows (images
# x output positions) as channels in every rewritten layer, about twice that where a layer meets
# 1 x 1 maps (resnet18's last stage: 512 channels; regnet_y_400mf's 440; wide_resnet50_2's 1024:
# on 1024 images its layer4.1.conv2's smallest kept singular value was below float32's reach),
# and as many as a strided layer's live columns (resnet50's layer4.0.conv2: 2 x 2 maps to 1 x 1,
# 4 taps x 512 channels; on 1024 images PyTorch's own float32 forward moved the float64 rule's
# layer4 kernels by 2e-4 to 4e-4 from those of a float64 forward, so ill-posed is the layer
# there); a model without such convolutions gets INIT_N images, for an init that rewrites nothing
SVD_BATCH = {"resnet18": 1024, "vgg11_bn_cifar": 512, "densenet121": 64,
             "mobilenet_v3_small": 64, "mobilenet_v3_large": 64, "regnet_y_400mf": 1024,
             "googlenet": 64, "resnet50": 2048, "resnext50_32x4d": 512, "wide_resnet50_2": 2048,
             "efficientnet_v2_s": 64, "regnet_x_400mf": 1024, "shufflenet_v2_x1_0": 512}
INIT_N = 32

# models whose init takes minutes on 2 cores (in PyTorch's float64 rule and in orthoinit's init
# test alike): their init batch and SVD fixtures are made with --all only, not in CI
HEAVY = ("resnet50", "wide_resnet50_2", "regnet_y_400mf", "regnet_x_400mf")


class _Seen(Exception):
    """Raised by a hook once the convolution's input is seen: the rest of the pass is not run."""


def top_singular(patches, wd):
    """U[0:wd, 0:wd], all singular values (descending) and V[:, 0:wd]^T of the float64 matrix
    PATCHES = U S V^T, from the eigendecomposition of the smaller of P^T P and P P^T: with more
    rows than columns, V and S^2, and U's first wd rows are P[0:wd] V S^-1; else U and S^2, and
    V = P^T U S^-1. A third to a quarter of an SVD's work on the patch matrices of the wide
    models. Float64 squares P's condition number: on resnet18's layers (condition numbers 16 to
    40, and 8,600 in the last stage on 512 images) the kernels W agree with an SVD's within
    3e-13, and 6e-11 in the last stage."""
    m, n = patches.shape
    if m > n:
        lam, v = torch.linalg.eigh(patches.T @ patches)
        lam, v = lam.flip(0), v.flip(1)
        s = lam.clamp(min=0).sqrt()
        return patches[:wd] @ v[:, :wd] / s[:wd], s, v[:, :wd].T
    lam, u = torch.linalg.eigh(patches @ patches.T)
    lam, u = lam.flip(0), u.flip(1)
    s = lam.clamp(min=0).sqrt()
    return u[:wd, :wd], s, (patches.T @ u[:, :wd] / s[:wd]).T


def svd_init(model, images, train=True, report=None):
    """The paper's initializer on any conv net; returns the rewritten convs' names in order.

    train: batch norms on batch statistics (the training export's); False keeps the model in
    eval mode, its batch norms fixed scales and shifts (the eval-mode export's).
    report: called as report(name, x, s, wd) at each rewritten convolution with its float64
    input, the singular values of its patch matrix and the number kept.
    """
    if train:
        model.train()
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = 0.0  # batch statistics, running statistics unchanged
    else:
        model.eval()
    modules = dict(model.named_modules())
    square = {name for name, m in modules.items() if isinstance(m, torch.nn.Conv2d)
              and m.in_channels == m.out_channels and m.groups == 1}
    order = []
    hooks = [modules[name].register_forward_pre_hook(
        lambda mod, inp, name=name: order.append(name) if name not in order else None)
        for name in square]
    with torch.no_grad():
        model(images)
    for h in hooks:
        h.remove()
    for name in order:
        conv = modules[name]
        seen = {}

        def stop(mod, inp):
            seen["x"] = inp[0]
            raise _Seen()

        hook = conv.register_forward_pre_hook(stop)
        try:
            with torch.no_grad():
                model(images)
        except _Seen:
            pass
        finally:
            hook.remove()
        x = seen["x"].double()
        p = torch.nn.functional.unfold(x, conv.kernel_size, dilation=conv.dilation,
                                       padding=conv.padding, stride=conv.stride)
        patches = p.transpose(1, 2).reshape(-1, p.shape[1])  # rows (n, h, w), cols (c, kh, kw)
        wd = conv.out_channels
        u, s, vh = top_singular(patches, wd)
        if report is not None:
            report(name, x, s, wd)
        w = (u @ torch.diag(s[:wd] ** -0.5) @ vh).reshape(conv.weight.shape)
        bias = None if conv.bias is None else conv.bias.double()
        y = torch.nn.functional.conv2d(x, w, bias, conv.stride, conv.padding, conv.dilation)
        with torch.no_grad():
            conv.weight.copy_((w / y.norm()).to(conv.weight.dtype))
    return order


def svd_fixtures(out, name, model, generator, heavy):
    """The SVD init on a copy of the gradient export's model (dropout off, batch norms on batch
    statistics): the init batch, the rewritten convolutions in order and their kernels (for a
    model of HEAVY, only when heavy)."""
    if name in HEAVY and not heavy:
        return
    batch = SVD_BATCH.get(name, INIT_N)
    images = torch.rand(batch, 3, 32, 32, generator=generator)
    np.save(os.path.join(out, name + "_init.npy"), images.numpy())
    if name not in SVD_BATCH:
        return
    original = model
    model = copy.deepcopy(original)
    order = svd_init(model, images)
    os.makedirs(os.path.join(out, name + "_svd"), exist_ok=True)
    modules = dict(model.named_modules())
    for conv in order:
        np.save(os.path.join(out, name + "_svd", conv + ".weight.npy"),
                modules[conv].weight.detach().numpy())
    listing = {"model": name, "batch": batch, "rewritten": order}
    if name in HEAVY:
        listing["float32_forward_error"] = float32_forward_error(original, images, modules)
    with open(os.path.join(out, name + "_svd.json"), "w") as f:
        json.dump(listing, f, indent=2)
    print(f"{name}: SVD init rewrote {len(order)} convolutions", flush=True)


def float32_forward_error(model, images, rewritten):
    """How far PyTorch's own float32 forward pass leaves the float64 rule's kernels from the
    exact ones: the rule again with the model and the images in float64 throughout; per
    rewritten convolution, max |W32 - W64| / max |W64|, W32 the float32 forward's kernel (in
    REWRITTEN, its modules). Deep layers amplify the forward's rounding; this says how much for
    PyTorch itself. Costs about three float32 inits, so only the HEAVY models (the deepest)."""
    model64 = copy.deepcopy(model).double()
    order = svd_init(model64, images.double())
    modules64 = dict(model64.named_modules())
    errors = {}
    for conv in order:
        exact = modules64[conv].weight.detach()
        ours = rewritten[conv].weight.detach().double()
        errors[conv] = ((ours - exact).abs().max() / exact.abs().max()).item()
    return errors


def gradient_fixtures(out, name, make, seed, heavy):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(300 + seed)
    model = make()
    with torch.no_grad():
        randomize_running_statistics(model, generator)
    for m in model.modules():
        if isinstance(m, (torch.nn.Dropout, torchvision.ops.StochasticDepth)):
            m.p = 0.0
    images = torch.rand(GRAD_N, 3, 32, 32, generator=generator)
    labels = torch.randint(0, CLASSES, (GRAD_N,), generator=generator)
    model.train()
    for opset in OPSETS:
        path = os.path.join(out, name + "_grad" + ("" if opset == 13 else "_%d" % opset) + ".onnx")
        torch.onnx.export(model, images[:2], path, input_names=["images"],
                          output_names=["logits"], opset_version=opset,
                          training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
                          dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}})
    # the gradient reads batch statistics only, whatever the export did to the running ones
    model.zero_grad()
    logits = model(images)
    np.save(os.path.join(out, name + "_grad_logits.npy"), logits.detach().numpy())
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    os.makedirs(os.path.join(out, name + "_grad"), exist_ok=True)
    names = []
    for pname, p in model.named_parameters():
        np.save(os.path.join(out, name + "_grad", pname + ".npy"), p.grad.numpy())
        names.append(pname)
    np.save(os.path.join(out, name + "_grad_images.npy"), images.numpy())
    np.save(os.path.join(out, name + "_grad_labels.npy"), labels.numpy())
    with open(os.path.join(out, name + "_grad.json"), "w") as f:
        json.dump({"model": name, "loss": loss.item(), "parameters": names}, f, indent=2)
    print(f"{name}: training export, {len(names)} gradients, loss {loss.item():.4f}", flush=True)
    if name in FLOAT64_MODELS:
        float64_step(out, name, model, images, labels)
    svd_fixtures(out, name, model, generator, heavy)


# models whose gradient test pins the float32 step's decisions to float64's
FLOAT64_MODELS = ("mobilenet_v2", "densenet121", "vgg11_bn_cifar", "regnet_y_400mf", "resnet50",
                  "mnasnet1_0", "resnext50_32x4d", "wide_resnet50_2", "regnet_x_400mf")

# what a folder's models.json must say for the folder to be up to date
LAYOUT = 3  # 3: resnet50 inits on 2048 images; the heavy models' float32_forward_error


def float64_step(out, name, model, images, labels):
    """The step again in float64, recording each ReLU, ReLU6 and max pool input as it is called."""
    model64 = copy.deepcopy(model).double()
    model64.zero_grad()
    decisions = []
    functional = torch.nn.functional
    relu, hardtanh, max_pool2d = functional.relu, functional.hardtanh, functional.max_pool2d

    def record(kind, x, **extra):
        decisions.append(dict(kind=kind, shape=list(x.shape), value=x.detach().clone(), **extra))

    def relu64(x, inplace=False):
        record("relu", x)
        return relu(x, inplace=inplace)

    def hardtanh64(x, min_val=-1.0, max_val=1.0, inplace=False):
        record("clip", x, min=min_val, max=max_val)
        return hardtanh(x, min_val, max_val, inplace)

    def max_pool2d64(x, *args, **kwargs):
        record("pool", x)
        return max_pool2d(x, *args, **kwargs)

    functional.relu, functional.hardtanh, functional.max_pool2d = relu64, hardtanh64, max_pool2d64
    try:
        logits = model64(images.double())
    finally:
        functional.relu, functional.hardtanh, functional.max_pool2d = relu, hardtanh, max_pool2d
    np.save(os.path.join(out, name + "_grad64_logits.npy"), logits.detach().numpy())
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    folder = os.path.join(out, name + "_grad64")
    os.makedirs(folder, exist_ok=True)
    for pname, p in model64.named_parameters():
        np.save(os.path.join(folder, pname + ".npy"), p.grad.numpy())
    listing = []
    for k, d in enumerate(decisions):
        entry = {key: d[key] for key in ("kind", "shape", "min", "max") if key in d}
        entry["file"] = f"decision_{k}.npy"
        np.save(os.path.join(folder, entry["file"]), d["value"].numpy())
        listing.append(entry)
    with open(os.path.join(out, name + "_grad64.json"), "w") as f:
        json.dump({"model": name, "loss": loss.item(), "decisions": listing}, f, indent=2)
    print(f"{name}: float64 step, {len(listing)} decisions, loss {loss.item():.6f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--all", action="store_true",
                        help="also the init batches and SVD fixtures of the HEAVY models")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    everything = list(models().items()) + list(eval_models().items())
    done = os.path.join(args.out, "models.json")
    if os.path.exists(done):
        with open(done) as f:
            had = json.load(f)
        if (had.get("layout") == LAYOUT and had.get("opsets") == list(OPSETS)
                and had.get("float64") == list(FLOAT64_MODELS)
                and (had.get("all") or not args.all)
                and [m["name"] for m in had["models"]] == [name for name, _ in everything]):
            print(f"{args.out}: up to date ({len(everything)} models)")
            return
        os.remove(done)  # made by an older version of this script: made again
    listing = {"torch": torch.__version__, "torchvision": torchvision.__version__,
               "layout": LAYOUT, "opsets": list(OPSETS), "float64": list(FLOAT64_MODELS),
               "all": args.all, "models": []}
    for i, (name, make) in enumerate(everything):
        listing["models"].append({"name": name,
                                  "parameters": export_eval(args.out, name, make, i)})
    for i, (name, make) in enumerate(everything):
        gradient_fixtures(args.out, name, make, i, args.all)
    # written last: its presence says the folder is complete
    with open(os.path.join(args.out, "models.json"), "w") as f:
        json.dump(listing, f, indent=2)


if __name__ == "__main__":
    main()
