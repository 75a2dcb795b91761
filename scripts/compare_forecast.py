#!/usr/bin/env python3
"""Classical forecasts of a CSV series beside Recur's, on the same split (docs/tasks.md, README).

Fits, on every row before the last --test-size, statsmodels' ETS (Holt-Winters: additive trend and
additive season of --seasonal-period) and an STL decomposition with an ARIMA(1,1,1) on the seasonally
adjusted series, forecasts the test rows, and prints MAE, RMSE, sMAPE and MASE (scaled by the in-sample
seasonal naive MAE, Hyndman and Koehler 2006) as `recur eval` computes them. With --recur and
--checkpoint it runs `recur eval --json` on the same file and prints its line in the same table.

    /tmp/sm-venv/bin/python scripts/compare_forecast.py --data co2.csv --target co2 --time date \
        --fill linear --seasonal-period 52 --test-size 52 --recur .build/release/recur --checkpoint runs/co2/best.safetensors

Needs statsmodels and pandas (seen working: pip install statsmodels==0.14.4 pandas==2.2.3; statsmodels 0.14.4
fails to import under pandas 3); Recur itself needs neither.
"""
import argparse
import json
import subprocess
import time

import numpy as np
import pandas as pd


def metrics(actual, forecast, history, m):
    actual, forecast, history = map(np.asarray, (actual, forecast, history))
    e = actual - forecast
    denominator = np.abs(actual) + np.abs(forecast)
    smape = np.mean(np.where(denominator > 0, 200 * np.abs(e) / np.where(denominator > 0, denominator, 1), 0))
    scale = np.mean(np.abs(history[m:] - history[:-m]))
    mae = np.mean(np.abs(e))
    return {"mae": mae, "rmse": float(np.sqrt(np.mean(e ** 2))), "smape": float(smape), "mase": float(mae / scale)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--time")
    parser.add_argument("--fill", choices=["none", "ffill", "linear"], default="none")
    parser.add_argument("--seasonal-period", type=int, default=1)
    parser.add_argument("--test-size", type=int, required=True)
    parser.add_argument("--recur", help="the recur binary, to run recur eval --json in the same run")
    parser.add_argument("--checkpoint", help="the forecaster checkpoint for --recur")
    args = parser.parse_args()

    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.forecasting.stl import STLForecast
    from statsmodels.tsa.arima.model import ARIMA

    frame = pd.read_csv(args.data, sep=None, engine="python")
    y = frame[args.target].astype(float)
    if args.fill == "ffill":
        y = y.ffill()
    elif args.fill == "linear":
        y = y.interpolate(method="linear").ffill()
    if y.isna().any():
        raise SystemExit(f"{args.data}: {args.target} has missing values; give --fill")
    values = y.to_numpy()
    m, n = args.seasonal_period, args.test_size
    history, actual = values[:-n], values[-n:]

    rows = []
    started = time.time()
    ets = ExponentialSmoothing(history, trend="add", seasonal="add" if m > 1 else None,
                               seasonal_periods=m if m > 1 else None).fit()
    rows.append(("ETS (Holt-Winters, additive)", metrics(actual, ets.forecast(n), history, m), time.time() - started))
    if m > 1:
        started = time.time()
        stl = STLForecast(history, ARIMA, model_kwargs={"order": (1, 1, 1)}, period=m).fit()
        rows.append(("STL + ARIMA(1,1,1)", metrics(actual, stl.forecast(n), history, m), time.time() - started))
    rows.append(("seasonal naive", metrics(actual, [history[len(history) - m + (h % m)] for h in range(n)], history, m), 0.0))
    if args.recur and args.checkpoint:
        out = subprocess.run([args.recur, "eval", args.checkpoint, "--data", args.data, "--test-size", str(n), "--json"],
                             check=True, capture_output=True, text=True).stdout
        report = json.loads(out)
        rows.insert(0, ("Recur", {k: report[k] for k in ("mae", "rmse", "smape", "mase")}, 0.0))

    print(f"{args.data}: {args.target}, last {n} of {len(values)} rows forecast, seasonal period {m}")
    print(f"{'method':30} {'MAE':>9} {'RMSE':>9} {'sMAPE':>8} {'MASE':>8} {'fit s':>7}")
    for name, f, seconds in rows:
        print(f"{name:30} {f['mae']:9.4f} {f['rmse']:9.4f} {f['smape']:8.3f} {f['mase']:8.4f} {seconds:7.2f}")


if __name__ == "__main__":
    main()
