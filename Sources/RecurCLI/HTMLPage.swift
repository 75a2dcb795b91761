import Foundation
import Recur

/// The shell of every page Recur writes (`recur viz`, `recur gradient-flow`, `recur report`): one
/// self-contained HTML file, no network and no external script. The page's data is one JSON block
/// (`<script type="application/json" id="data">`), read by the page's own script; the shared script
/// gives every page a chart drawer (lines or points, linear or log-scale y, drag to zoom on x,
/// double-click to reset) and records script errors in `#errors`.
///
/// `page.html#selftest` runs the page's `selftest()` after drawing and writes `selftest: ok` (or
/// `selftest: failed: ...`) into `#selftest`: `scripts/browser-test` loads each page in headless
/// Chromium that way and reads the result.
enum HTMLPage {
    /// The whole page. `data`: encoded into the JSON block; `script`: the page's own code, which may
    /// define `selftest()` returning a list of failures (empty when all is well).
    static func document<Data: Encodable>(title: String, body: String, data: Data, script: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        // "<" only occurs inside JSON strings, where \u003c means the same: no "</script>" can end the block early.
        let json = String(decoding: try encoder.encode(data), as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head><body>
        <h1>\(escape(title))</h1>
        <div id="errors" hidden></div>
        \(body)
        <pre id="selftest" hidden></pre>
        <script type="application/json" id="data">\(json)</script>
        <script>
        \(sharedScript)
        \(script)
        start();
        </script>
        </body></html>

        """
    }

    /// Text for an HTML element or attribute.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Writes the page whole or not at all, or throws a one-line UserError naming `option`.
    static func write(_ page: String, to path: String, option: String) throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UserError("\(option) \(path): is a folder; give a file name such as page.html")
        }
        do {
            try AtomicFile.write(Array(page.utf8), to: url)
        } catch {
            throw UserError("\(option) \(path): cannot be written (\(error)); check the folder exists and is writable", kind: .ioError)
        }
    }

    /// Refuses an output path whose extension is not one of `extensions` (lower case, without the dot).
    static func checkExtension(_ path: String, option: String, _ extensions: [String]) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard extensions.contains(ext) else {
            throw UserError("\(option) \(path): expected a file ending in \(extensions.map { "." + $0 }.joined(separator: " or "))")
        }
    }

    static let style = """
    body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 1200px; }
    h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
    #errors { background: #fdd; border: 1px solid #c00; padding: .5em; white-space: pre-wrap; }
    .note { color: #555; font-size: .9em; }
    .controls label { margin-right: 1em; }
    table { border-collapse: collapse; font-size: .9em; }
    td, th { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: left; }
    tr.pick { cursor: pointer; } tr.pick:hover { background: #eef; } tr.chosen { background: #dde; }
    .chart svg { background: white; border: 1px solid #ccc; }
    .text { font-family: ui-monospace, monospace; font-size: 14px; line-height: 1.6; white-space: pre-wrap; word-break: break-all; }
    .text span { padding: 1px 0; }
    #tip { position: fixed; pointer-events: none; background: #fff; border: 1px solid #888; padding: 6px;
           font-size: 12px; font-family: ui-monospace, monospace; box-shadow: 2px 2px 6px #aaa; display: none; z-index: 10; }
    .bar { display: inline-block; height: 9px; background: #4a7; vertical-align: middle; }
    .sample { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 13px; background: #f6f6f6; padding: .5em; }
    """

    /// Shared by every page: the data, error capture, the chart drawer and the self-test hook.
    static let sharedScript = #"""
    const D = JSON.parse(document.getElementById('data').textContent);
    const pageErrors = [];
    function reportError(message) {
      pageErrors.push(message);
      const box = document.getElementById('errors');
      box.hidden = false;
      box.textContent = 'script error: ' + pageErrors.join('\n');
    }
    window.addEventListener('error', e => reportError(String(e.message)));
    function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'); }
    function fmt(v, digits) {
      if (v === null || v === undefined || !isFinite(v)) return String(v);
      const a = Math.abs(v);
      if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
      return v.toFixed(digits === undefined ? 3 : digits);
    }
    function decodeInt8(base64) {
      const s = atob(base64), a = new Int8Array(s.length);
      for (let i = 0; i < s.length; i++) a[i] = (s.charCodeAt(i) << 24) >> 24;
      return a;
    }
    const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
    // A chart in element `el`: opt.series [{name, color, points: [[x, y]], dots, line (dots and a line), dashed}], opt.xLabel,
    // opt.yLabel, opt.logY, opt.xRange, opt.yRange, opt.width, opt.height, opt.zoom (drag on x).
    function chart(el, opt) {
      const W = opt.width || 720, H = opt.height || 380, m = {l: 70, r: 170, t: 14, b: 46};
      let view = null;
      function extent(values) {
        let lo = Infinity, hi = -Infinity;
        for (const v of values) { if (isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
        if (lo === Infinity) return [0, 1];
        if (hi - lo <= 1e-9 * Math.max(Math.abs(lo), Math.abs(hi))) { const pad = Math.abs(lo) * 0.1 || 0.5; lo -= pad; hi += pad; }
        return [lo, hi];
      }
      const ty = y => opt.logY ? Math.log10(y) : y;
      function usable(p) { return isFinite(p[0]) && isFinite(p[1]) && (!opt.logY || p[1] > 0); }
      function draw() {
        const all = opt.series.flatMap(s => s.points.filter(usable));
        const [x0, x1] = view || opt.xRange || extent(all.map(p => p[0]));
        const shown = all.filter(p => p[0] >= x0 && p[0] <= x1);
        let [y0, y1] = opt.yRange ? opt.yRange.map(ty) : extent(shown.map(p => ty(p[1])));
        if (!opt.yRange) { const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
        const X = x => m.l + (W - m.l - m.r) * (x - x0) / (x1 - x0);
        const Y = y => m.t + (H - m.t - m.b) * (1 - (ty(y) - y0) / (y1 - y0));
        let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-size="11" font-family="sans-serif">`;
        s += `<defs><clipPath id="clip${el.id}"><rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}"/></clipPath></defs>`;
        s += `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#000"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#000"/>`;
        for (let i = 0; i <= 5; i++) {
          const x = x0 + (x1 - x0) * i / 5;
          s += `<text x="${X(x)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(x, Math.abs(x1 - x0) >= 10 ? 0 : 2)}</text>`;
        }
        let ticks = [];
        if (opt.logY) {
          const every = Math.max(1, Math.ceil((Math.floor(y1) - Math.ceil(y0) + 1) / 8));
          for (let e = Math.ceil(y0); e <= Math.floor(y1); e += every) ticks.push(Math.pow(10, e));
        }
        if (ticks.length < 2) { ticks = []; for (let i = 0; i <= 5; i++) ticks.push(opt.logY ? Math.pow(10, y0 + (y1 - y0) * i / 5) : y0 + (y1 - y0) * i / 5); }
        for (const v of ticks) {
          s += `<line x1="${m.l - 4}" x2="${W - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/><text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end">${opt.logY ? v.toExponential(0) : fmt(v, 3)}</text>`;
        }
        s += `<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(opt.xLabel || '')}</text>`;
        s += `<text x="14" y="${(m.t + H - m.b) / 2}" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})" text-anchor="middle">${esc(opt.yLabel || '')}</text>`;
        s += `<g clip-path="url(#clip${el.id})">`;
        opt.series.forEach((series, i) => {
          const color = series.color || palette[i % palette.length];
          const pts = series.points.filter(usable);
          if (series.dots) {
            for (const p of pts) s += `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="${series.line ? 3.5 : 2.5}" fill="${color}" fill-opacity="${series.line ? 1 : 0.6}"/>`;
          }
          if ((!series.dots || series.line) && pts.length) {
            s += `<polyline fill="none" stroke="${color}" stroke-width="1.8" ${series.dashed ? 'stroke-dasharray="5 3"' : ''} points="${pts.map(p => X(p[0]).toFixed(1) + ',' + Y(p[1]).toFixed(1)).join(' ')}"/>`;
          }
        });
        s += `</g>`;
        opt.series.forEach((series, i) => {
          const color = series.color || palette[i % palette.length], y = m.t + 12 + 16 * i;
          s += `<line x1="${W - m.r + 10}" x2="${W - m.r + 28}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="3" ${series.dashed ? 'stroke-dasharray="5 3"' : ''}/><text x="${W - m.r + 32}" y="${y}">${esc(series.name)}</text>`;
        });
        s += `</svg>`;
        el.innerHTML = s;
        el.dataset.xmin = x0; el.dataset.xmax = x1;
        if (opt.zoom) {
          const svg = el.firstChild;
          let from = null;
          const toX = e => x0 + (x1 - x0) * (e.clientX - svg.getBoundingClientRect().left - m.l) / (W - m.l - m.r);
          svg.addEventListener('mousedown', e => { from = toX(e); e.preventDefault(); });
          svg.addEventListener('mouseup', e => {
            if (from === null) return;
            const to = toX(e);
            if (Math.abs(to - from) > (x1 - x0) / 100) { view = [Math.min(from, to), Math.max(from, to)]; draw(); }
            from = null;
          });
          svg.addEventListener('dblclick', () => { view = null; draw(); });
        }
      }
      draw();
      return { zoomTo(a, b) { view = [a, b]; draw(); }, reset() { view = null; draw(); } };
    }
    function runSelftest() {
      if (location.hash !== '#selftest') return;
      let failures = [];
      try { failures = typeof selftest === 'function' ? selftest() : []; } catch (e) { failures.push('selftest threw ' + e); }
      failures = failures.concat(pageErrors.map(e => 'script error: ' + e));
      const out = document.getElementById('selftest');
      out.hidden = false;
      out.textContent = failures.length ? 'selftest: failed: ' + failures.join('; ') : 'selftest: ok';
    }
    window.addEventListener('load', runSelftest);
    """#
}
