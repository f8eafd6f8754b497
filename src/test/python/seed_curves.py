#!/usr/bin/python3
"""The seed's Figure 7 training in PyTorch, on a CPU, for side-by-side curves.

Trains the seed notebook's AlexNet exactly as its train() does (SGD, lr 0.001, batch 30,
reshuffled every epoch, dropout active, mean cross-entropy; the epoch loss is the seed's sum of
loss * 30 / images) on the first --images CIFAR-10 training images, from the seed's weights_init
and, for --inits svd, its novel_initialization on 256 images drawn at random from that set or, with --init-pool all,
from every training image in --data (the seed draws from all 50,000). Model
and initializer come from the reference scripts beside the seed notebook.

Every run appends its epochs to --out, a CSV that orthoinit's `compare --pytorch` reads
(init,layers,repeat,epoch,loss); a rerun skips the runs the file already holds, so a killed job
continues where it stopped. Repeat r seeds torch with r: weights, init batch, shuffles, dropout.

With --starts DIR (a folder seed_init75.py made) repeat r does not build its own start: it
loads DIR/s<r>/f32/start.pt, the seed's Xavier weights after its float32 novel_initialization,
and trains it with torch seeded by 1000 + r (shuffles and dropout only); its rows are labelled
init "start". orthoinit trains the same start from DIR/s<r>/f32/start.onnx.

usage: seed_curves.py --out FILE.csv [--layers 75] [--inits xavier,svd] [--repeats 3]
                      [--epochs 10] [--images 3000] [--threads 2] [--batch-norm]
                      [--init-pool run|all] [--starts DIR] [--data DIR] [--reference DIR]
"""

import argparse
import csv
import math
import os
import sys
import time

import torch
import torch.nn as nn

BATCH = 30
LR = 0.001
INIT_IMAGES = 256
HEADER = ['init', 'layers', 'repeat', 'epoch', 'loss']


def done_runs(path):
    """(init, layers, repeat) -> epochs already in the CSV."""
    runs = {}
    if os.path.exists(path):
        with open(path) as f:
            for row in csv.DictReader(f):
                key = (row['init'], int(row['layers']), int(row['repeat']))
                runs[key] = runs.get(key, 0) + 1
    return runs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.join(os.path.dirname(os.path.normpath(os.path.join(here, '..', '..', '..'))),
                          'shared')
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True)
    p.add_argument('--layers', default='75')
    p.add_argument('--inits', default='xavier,svd')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--first-repeat', type=int, default=0)
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--images', type=int, default=3000)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch-norm', action='store_true', help="the seed's withbn=True")
    p.add_argument('--log-steps', action='store_true', help='print every step\'s loss')
    p.add_argument('--init-pool', choices=['run', 'all'], default='run',
                   help='draw the SVD init batch from the run\'s images or from all of them')
    p.add_argument('--starts', help='train the starts seed_init75.py wrote here')
    p.add_argument('--data', default=os.path.join(shared, 'data', 'cifar10'))
    p.add_argument('--reference', default=os.path.join(shared, 'reference'))
    args = p.parse_args()
    sys.path.insert(0, args.reference)
    from seedmodel import AlexNet, weights_init
    from seedinit import novel_initialization
    from cifar import load

    torch.set_num_threads(args.threads)
    dataset = load(args.data, args.images)
    images = dataset.tensors[0]
    pool = load(args.data).tensors[0] if args.init_pool == 'all' else images
    have = done_runs(args.out)
    new_file = not os.path.exists(args.out)
    inits = ['start'] if args.starts else args.inits.split(',')
    init_label = {'xavier': 'xavier', 'svd': 'svd', 'start': 'start'}
    for repeat in range(args.first_repeat, args.first_repeat + args.repeats):
        for layers in [int(x) for x in args.layers.split(',')]:
            for init in inits:
                name = init_label[init] + ('+bn' if args.batch_norm else '')
                if have.get((name, layers, repeat), 0) >= args.epochs:
                    print('%s L%d r%d: in %s already' % (name, layers, repeat, args.out))
                    continue
                t0 = time.time()
                net = AlexNet(10, num_layers=layers, withbn=args.batch_norm)
                if init == 'start':
                    start = os.path.join(args.starts, 's%d' % repeat, 'f32', 'start.pt')
                    if not os.path.exists(start):
                        sys.exit('seed_curves.py: %s: no such start (seed_init75.py makes it)'
                                 % start)
                    net.load_state_dict(torch.load(start))
                    torch.manual_seed(1000 + repeat)
                else:
                    torch.manual_seed(repeat)
                    net.apply(weights_init)
                if init == 'svd':
                    pick = torch.randperm(len(pool))[:INIT_IMAGES]
                    with torch.no_grad():
                        before, after = novel_initialization(net, pool[pick])
                    print('%s L%d r%d: gram ratio %.4f -> %.4f (%.0f s)'
                          % (name, layers, repeat, before, after, time.time() - t0), flush=True)
                loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True)
                criterion = nn.CrossEntropyLoss()
                opt = torch.optim.SGD(net.parameters(), lr=LR)
                rows = []
                for epoch in range(1, args.epochs + 1):
                    loss_epoch = 0.0
                    for step, (x, y) in enumerate(loader):
                        opt.zero_grad()
                        loss = criterion(net(x), y)
                        loss.backward()
                        loss_epoch += loss.item() * BATCH / len(dataset)
                        if args.log_steps:
                            print('  epoch %d step %d loss %.6f' % (epoch, step + 1, loss.item()),
                                  flush=True)
                        opt.step()
                    rows.append([name, layers, repeat, epoch, repr(loss_epoch)])
                    print('%s L%d r%d epoch %d: %.6f (%.0f s)' % (name, layers, repeat, epoch,
                                                                   loss_epoch, time.time() - t0),
                          flush=True)
                    if not math.isfinite(loss_epoch):
                        break
                with open(args.out, 'a', newline='') as f:
                    w = csv.writer(f)
                    if new_file:
                        w.writerow(HEADER)
                        new_file = False
                    w.writerows(rows)


if __name__ == '__main__':
    main()
