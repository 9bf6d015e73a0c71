#!/usr/bin/env python3
"""Independent reference values for src/domain/experiments/stats.test.ts (scipy).

Run: python3 bench/experiments-reference.py   (scipy >= 1.11 for confidence_interval; measured with scipy 1.17.1)
"""
import math

import numpy as np
from scipy import stats

Z = stats.norm.ppf(0.975)


def wilson(x, n, z=Z):
    p = x / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, c - h, c + h


def newcombe(x1, n1, x2, n2):
    p1, l1, u1 = wilson(x1, n1)
    p2, l2, u2 = wilson(x2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def n_treated(pc, pt, r=1.0, alpha=0.05, power=0.8):
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (pt + r * pc) / (1 + r)
    num = za * math.sqrt(pbar * (1 - pbar) * (1 + 1 / r)) + zb * math.sqrt(pt * (1 - pt) + pc * (1 - pc) / r)
    return num * num / (pt - pc) ** 2


def z_test_power(pc, pt, nt, nc, alpha=0.05):
    """Power of the pooled two-proportion z-test, computed directly (checks n_treated)."""
    za = stats.norm.ppf(1 - alpha / 2)
    pbar = (pt * nt + pc * nc) / (nt + nc)
    se0 = math.sqrt(pbar * (1 - pbar) * (1 / nt + 1 / nc))
    se1 = math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    return stats.norm.cdf((abs(pt - pc) - za * se0) / se1)


print("norm.ppf(0.975), ppf(0.8), ppf(1e-10):", repr(Z), repr(stats.norm.ppf(0.8)), repr(stats.norm.ppf(1e-10)))
print("t.ppf(0.975, 10), t.ppf(0.975, 3.7), t.cdf(1.5, 7):", stats.t.ppf(0.975, 10), stats.t.ppf(0.975, 3.7), stats.t.cdf(1.5, 7))
print("Wilson 81/263:", wilson(81, 263))
print("Newcombe 56/70 - 48/80:", newcombe(56, 70, 48, 80))
a = np.array([19.1, 21.0, 18.5, 22.3, 20.2, 24.1, 17.9, 20.8])
b = np.array([16.2, 18.9, 17.1, 15.5, 19.4, 16.8])
r = stats.ttest_ind(a, b, equal_var=False)
ci = r.confidence_interval(0.95)
print("Welch:", a.mean() - b.mean(), ci.low, ci.high, r.df)
print("n per arm 10% -> 15%:", n_treated(0.10, 0.15), "power at 686:", z_test_power(0.10, 0.15, 686, 686))
print("n per arm 5% -> 6%:", n_treated(0.05, 0.06))
print("n treated 20% -> 22%, r = 1/9:", n_treated(0.20, 0.22, 1 / 9))
