#!/usr/bin/env python3
"""
An independent reference for Patron's BG/NBD and Gamma-Gamma fits: the same log-likelihoods
(Fader, Hardie & Lee 2005, eq. 6; Fader & Hardie's Gamma-Gamma note) written directly with
scipy.special and maximised with scipy.optimize (L-BFGS-B on log-parameters), on exactly the
summary CSV Patron's bench reads (`frequency,recency,T,monetary_value`).

    npx tsx bench/clv-fit.ts --write-summary /tmp/summary.csv      # Patron, and the CSV
    python3 bench/clv-reference.py /tmp/summary.csv                 # this reference

Needs Debian's python3-scipy and python3-numpy (a check only, never a runtime dependency).
"""
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln


def load(path):
    data = np.genfromtxt(path, delimiter=",", names=True)
    return data["frequency"], data["recency"], data["T"], data["monetary_value"]


def collapse(*cols):
    stacked = np.stack(cols, axis=1)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return [uniq[:, i] for i in range(uniq.shape[1])], counts.astype(float)


def bgnbd_negll(logp, x, tx, T, w):
    r, alpha, a, b = np.exp(logp)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return -np.sum(w * ll)


def gg_negll(logp, x, m, w):
    p, q, gamma = np.exp(logp)
    ll = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(x * m + gamma)
    )
    return -np.sum(w * ll)


def main():
    path = sys.argv[1]
    f, r, T, m = load(path)
    rows = []

    t0 = time.perf_counter()
    (x, tx, TT), w = collapse(f, r, T)
    res = minimize(bgnbd_negll, np.log([0.5, 5.0, 0.8, 2.5]), args=(x, tx, TT, w), method="L-BFGS-B")
    bg = np.exp(res.x)
    rows.append(("BG/NBD", len(f), time.perf_counter() - t0, "r %.4f α %.4f a %.4f b %.4f LL %.2f" % (*bg, -res.fun)))

    t0 = time.perf_counter()
    repeat = (f > 0) & (m > 0)
    (xg, mg), wg = collapse(f[repeat], m[repeat])
    res = minimize(gg_negll, np.log([1.0, 1.0, 1.0]), args=(xg, mg, wg), method="L-BFGS-B")
    gg = np.exp(res.x)
    rows.append(("Gamma-Gamma", int(repeat.sum()), time.perf_counter() - t0, "p %.4f q %.4f γ %.4f LL %.2f" % (*gg, -res.fun)))

    print("| step (scipy reference) | customers | seconds | result |")
    print("|---|---:|---:|---|")
    for name, n, sec, result in rows:
        print(f"| {name} fit | {n:,} | {sec:.3f} | {result} |")


if __name__ == "__main__":
    main()
