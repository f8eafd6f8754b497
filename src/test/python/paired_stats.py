#!/usr/bin/python3
"""Part 2 of the 75-layer comparison: the paired test per epoch.

Reads the seed's losses (seed_curves.py --starts: OUT/seed.csv, rows init "start") and
orthoinit's runs of the same starts (paired75.sh: OUT/orthoinit/s<r>.json), pairs them by start
r, and per epoch gives both means, the mean difference (orthoinit - seed) and the two-sided
Wilcoxon signed-rank test's exact p over the pairs (zero differences dropped, tied ranks
averaged, the null distribution enumerated over all 2^n sign patterns of those ranks). Prints
a Markdown table and writes OUT/wilcoxon.csv. Only starts both codes finished are paired.

usage: paired_stats.py OUT
"""

import csv
import itertools
import json
import os
import sys


def ranks(values):
    """1-based ranks of |values|, ties averaged."""
    order = sorted(range(len(values)), key=lambda i: abs(values[i]))
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and abs(values[order[j + 1]]) == abs(values[order[i]]):
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def wilcoxon(diffs):
    """(W+, two-sided exact p) of the signed-rank test; p is 1 with no non-zero difference."""
    d = [x for x in diffs if x != 0]
    if not d:
        return 0.0, 1.0
    r = ranks(d)
    w = sum(ri for ri, x in zip(r, d) if x > 0)
    total = sum(r)
    mean = total / 2
    extreme = abs(w - mean)
    hits = 0
    count = 0
    for signs in itertools.product((0, 1), repeat=len(r)):
        s = sum(ri for ri, b in zip(r, signs) if b)
        count += 1
        if abs(s - mean) >= extreme - 1e-12:
            hits += 1
    return w, hits / count


def main():
    # worked by hand: 8 differences all of one sign have W+ = 36 and p = 2 / 2^8
    assert wilcoxon([1, 2, 3, 4, 5, 6, 7, 8]) == (36.0, 2 / 256)
    # and 1, -2, 3: W+ = 4 of 6, |4 - 3| = 1 is met by 6 of the 8 sign patterns
    assert wilcoxon([1, -2, 3]) == (4.0, 6 / 8)
    if len(sys.argv) != 2:
        sys.exit(__doc__.split('usage: ')[1])
    out = sys.argv[1]
    seed = {}
    with open(os.path.join(out, 'seed.csv')) as f:
        for row in csv.DictReader(f):
            if row['init'] == 'start':
                seed.setdefault(int(row['repeat']), {})[int(row['epoch'])] = float(row['loss'])
    ours = {}
    folder = os.path.join(out, 'orthoinit')
    for name in sorted(os.listdir(folder)):
        if name.startswith('s') and name.endswith('.json'):
            run = json.load(open(os.path.join(folder, name)))
            ours[int(name[1:-5])] = {e['epoch']: e['loss'] for e in run['epochs']}
    starts = sorted(set(seed) & set(ours))
    epochs = sorted(set.intersection(*[set(seed[r]) & set(ours[r]) for r in starts])) \
        if starts else []
    rows = []
    print('%d starts trained by both codes: %s' % (len(starts), starts))
    print('| epoch | orthoinit | seed | difference | W+ | p |')
    print('| --- | --- | --- | --- | --- | --- |')
    for e in epochs:
        a = [ours[r][e] for r in starts]
        b = [seed[r][e] for r in starts]
        diffs = [x - y for x, y in zip(a, b)]
        w, p = wilcoxon(diffs)
        row = [e, sum(a) / len(a), sum(b) / len(b), sum(diffs) / len(diffs), w, p]
        rows.append(row)
        print('| %d | %.4f | %.4f | %+.4f | %.1f | %.3f |' % tuple(row))
    with open(os.path.join(out, 'wilcoxon.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['epoch', 'orthoinit', 'seed', 'difference', 'w_plus', 'p', 'pairs'])
        for row in rows:
            w.writerow(row + [len(starts)])


if __name__ == '__main__':
    main()
