#!/usr/bin/python3
"""Real conv nets for the ONNX importer: torchvision models exported by torch.onnx.export.

Random-weight resnet18, mobilenet_v2, squeezenet1_1 and densenet121 (num_classes 10) and a CIFAR
VGG-11 with batch norm, and for their logits only mobilenet_v3_small and _large, efficientnet_b0
and _v2_s, regnet_y_400mf and regnet_x_400mf, mnasnet1_0, googlenet (no aux logits, no input
transform), resnet50, resnext50_32x4d, wide_resnet50_2, squeezenet1_0 and shufflenet_v2_x1_0,
each in eval mode, exported at opsets 13 and 17 with input `images` [N, 3, 32, 32] (the batch
dynamic) and output `logits` [N, 10]. (torchvision's vgg11_bn is not among them: at 32 x 32 its
AdaptiveAvgPool2d((7, 7)) meets a 1 x 1 map, which torch.onnx.export refuses, "output size that
are not factor of input size"; the CIFAR VGG-11 stands for it.) PyTorch 1.13 folds a
BatchNorm that follows a Conv into the Conv and names the result `onnx::Conv_N`; densenet121's other batch norms stay
BatchNormalization nodes. Batch norms get random running statistics first, so evaluation mode
is not the identity.

Layout of OUT:

    models.json            the models, with torch's version and the opsets; written last, so
                           a folder that has it is complete (a rerun with the same models and
                           opsets does nothing; one of an older list is made again)
    <model>.onnx           the model, opset 13
    <model>_17.onnx        the model, opset 17
    <model>_images.npy     8 images [8, 3, 32, 32] float32 in [0, 1], NCHW (uniform noise)
    <model>_logits.npy     PyTorch's float32 logits of those images, eval mode

and, for gradients, each of the first five and those of MORE_GRADIENTS again (other random
weights) exported with training=TrainingMode.TRAINING (batch norms and state_dict names kept,
dropout and stochastic depth ratios set to 0 so that a step is deterministic), with one SGD
step's gradients in PyTorch (train mode: batch norms on batch statistics):

    <model>_grad.onnx      the model, initializers named as its state_dict
    <model>_grad_images.npy  16 images [16, 3, 32, 32] float32 in [0, 1]
    <model>_grad_labels.npy  their labels, int64 in [0, 10)
    <model>_grad.json      the parameters, in named_parameters order, and the loss
    <model>_grad/<name>.npy  d(mean cross-entropy)/d(parameter), float32, PyTorch's layout

and, for the models whose float32 step decides a unit otherwise than float64 does
(mobilenet_v2, densenet121, vgg11_bn_cifar), the same step in float64 (`model.double()`, the same weights and
images) with the input of every decision its gradient follows, in the order the forward pass
calls them (the order of the export's Relu, Clip and MaxPool nodes):

    <model>_grad64/<name>.npy      the float64 gradients, float64, PyTorch's layout
    <model>_grad64.json            the float64 loss and the decisions: kind (relu, clip with its
                                   min and max, pool) and shape, and for relu and clip a file
    <model>_grad64/decision_K.npy  the K-th decision's float64 input, NCHW (or [N, units])

and, for the paper's initializer on a graph (resnet18), the model exported the same way, before
the init:

    <model>_train.onnx     the model before the SVD init
    <model>_init.npy       the init batch, [1024, 3, 32, 32] float32 in [0, 1] (uniform noise)
    <model>_svd.json       the rewritten convolutions, in the order they were rewritten
    <model>_svd/<name>.npy each one's kernel after the init, float32, OIHW

The SVD init on a graph (docs/design.md): for every Conv with in == out channels and
groups 1, in the order the forward pass reaches them, the conv's input is computed by the
current network on the init batch (batch norms on batch statistics, running statistics left
alone); its patches with the conv's padding, stride and dilation (rows (sample, h, w), columns
as the kernel flattens) are P = U S V^T in float64; W = U[0:wd, 0:wd] S^(-1/2) V[:, 0:wd]^T
(wd = out channels), divided by the Frobenius norm of the conv's output with its bias.

Usage: torchvision_fixtures.py --out DIR
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
    """Models read for their logits only (eval mode): the layers of newer conv nets, hard
    swish and sigmoid, squeeze-excitation and SiLU, grouped convolutions, spatial means,
    channel split and shuffle, bottlenecks at 4 times the width."""
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


# init batch per model: resnet18's last stage has 1 x 1 maps and 512 channels, so it needs more
# than 512 images; the CIFAR VGG's (2 x 2 maps) needs 128, and takes 512 (its 2 x 2 layers then
# have 2048 rows of 4608 columns)
SVD_MODELS = {"resnet18": 1024, "vgg11_bn_cifar": 512}


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
        hook = conv.register_forward_pre_hook(lambda mod, inp: seen.setdefault("x", inp[0]))
        with torch.no_grad():
            model(images)
        hook.remove()
        x = seen["x"].double()
        p = torch.nn.functional.unfold(x, conv.kernel_size, dilation=conv.dilation,
                                       padding=conv.padding, stride=conv.stride)
        patches = p.transpose(1, 2).reshape(-1, p.shape[1])  # rows (n, h, w), cols (c, kh, kw)
        u, s, vh = torch.linalg.svd(patches, full_matrices=False)
        wd = conv.out_channels
        if report is not None:
            report(name, x, s, wd)
        w = (u[:wd, :wd] @ torch.diag(s[:wd] ** -0.5) @ vh[:wd, :]).reshape(conv.weight.shape)
        bias = None if conv.bias is None else conv.bias.double()
        y = torch.nn.functional.conv2d(x, w, bias, conv.stride, conv.padding, conv.dilation)
        with torch.no_grad():
            conv.weight.copy_((w / y.norm()).float())
    return order


def svd_fixtures(out, name, make, seed, batch):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(200 + seed)
    model = make()
    with torch.no_grad():
        randomize_running_statistics(model, generator)
    images = torch.rand(batch, 3, 32, 32, generator=generator)
    model.train()
    torch.onnx.export(model, images[:2], os.path.join(out, name + "_train.onnx"),
                      input_names=["images"], output_names=["logits"], opset_version=13,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
                      dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}})
    np.save(os.path.join(out, name + "_init.npy"), images.numpy())
    order = svd_init(model, images)
    os.makedirs(os.path.join(out, name + "_svd"), exist_ok=True)
    modules = dict(model.named_modules())
    for conv in order:
        np.save(os.path.join(out, name + "_svd", conv + ".weight.npy"),
                modules[conv].weight.detach().numpy())
    with open(os.path.join(out, name + "_svd.json"), "w") as f:
        json.dump({"model": name, "batch": batch, "rewritten": order}, f, indent=2)
    print(f"{name}: SVD init rewrote {len(order)} convolutions", flush=True)


def gradient_fixtures(out, name, make, seed):
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
    torch.onnx.export(model, images[:2], os.path.join(out, name + "_grad.onnx"),
                      input_names=["images"], output_names=["logits"], opset_version=13,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
                      dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}})
    # the gradient reads batch statistics only, whatever the export did to the running ones
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(images), labels)
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


# models read for their logits whose training-mode export and step are made too
MORE_GRADIENTS = ("shufflenet_v2_x1_0", "mobilenet_v3_small", "efficientnet_b0", "regnet_y_400mf",
                  "resnet50")

# models whose gradient test pins the float32 step's decisions to float64's
FLOAT64_MODELS = ("mobilenet_v2", "densenet121", "vgg11_bn_cifar", "regnet_y_400mf", "resnet50")


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
        loss = torch.nn.functional.cross_entropy(model64(images.double()), labels)
    finally:
        functional.relu, functional.hardtanh, functional.max_pool2d = relu, hardtanh, max_pool2d
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
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    everything = list(models().items()) + list(eval_models().items())
    done = os.path.join(args.out, "models.json")
    if os.path.exists(done):
        with open(done) as f:
            had = json.load(f)
        if (had.get("opsets") == list(OPSETS)
                and had.get("more_gradients") == list(MORE_GRADIENTS)
                and [m["name"] for m in had["models"]] == [name for name, _ in everything]):
            print(f"{args.out}: up to date ({len(everything)} models)")
            return
        os.remove(done)  # made by an older version of this script: made again
    listing = {"torch": torch.__version__, "torchvision": torchvision.__version__,
               "opsets": list(OPSETS), "more_gradients": list(MORE_GRADIENTS), "models": []}
    for i, (name, make) in enumerate(everything):
        listing["models"].append({"name": name,
                                  "parameters": export_eval(args.out, name, make, i)})
    for i, (name, make) in enumerate(everything):
        if name in models() or name in MORE_GRADIENTS:
            gradient_fixtures(args.out, name, make, i)
    for name, batch in SVD_MODELS.items():
        svd_fixtures(args.out, name, models()[name], 7, batch)
    # written last: its presence says the folder is complete
    with open(os.path.join(args.out, "models.json"), "w") as f:
        json.dump(listing, f, indent=2)


if __name__ == "__main__":
    main()
