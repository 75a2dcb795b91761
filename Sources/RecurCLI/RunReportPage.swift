import Foundation
import Recur

/// The page of `recur report`: a run's metrics.jsonl as zoomable charts, its checkpoint's settings,
/// and its samples.jsonl.
enum RunReportPage {
    struct Row: Encodable {
        var step: Int
        var trainLoss: Double
        var lr: Double
        var rate: Double
        var elapsed: Double
        var validationLoss: Double?
        var validation: [String: Double]
        var gradientNorm: Double?
        var gradientNormMax: Double?
        var clipped: Double?
    }

    struct Data: Encodable {
        var rateKey: String
        var rows: [Row]
        var metadata: [String: String]
        var samples: [SampleLog.Entry]
    }

    static func html(title: String, records: [MetricsLog.Record], metadata: [String: String], samples: [SampleLog.Entry]) throws -> String {
        let data = Data(
            rateKey: records.last?.rateKey ?? "tokens_per_s",
            rows: records.map {
                Row(step: $0.step, trainLoss: $0.trainLoss, lr: $0.lr, rate: $0.tokensPerSecond, elapsed: $0.elapsed,
                    validationLoss: $0.validationLoss, validation: $0.validation, gradientNorm: $0.gradientNorm,
                    gradientNormMax: $0.gradientNormMax, clipped: $0.clipped)
            },
            metadata: metadata, samples: samples)
        let body = """
        <p class="note" id="summary"></p>
        <p class="note">Drag across a chart to zoom into those steps; double-click it to see them all again.</p>
        <h2>Loss</h2><div id="loss" class="chart"></div>
        <div id="validationcharts"></div>
        <h2>Gradient norm (before clipping)</h2>
        <p class="note" id="clipnote"></p>
        <div id="norm" class="chart"></div>
        <div id="clipped" class="chart"></div>
        <h2>Learning rate</h2><div id="lr" class="chart"></div>
        <h2>Throughput</h2><div id="rate" class="chart"></div>
        <h2>Samples at each checkpoint</h2><div id="samples"></div>
        <h2>Settings</h2><table id="settings"></table>
        """
        return try HTMLPage.document(title: "recur report: " + title, body: body, data: data, script: script)
    }

    static let script = #"""
    const charts = {};
    function settingsRows() {
      const rows = [];
      for (const key of Object.keys(D.metadata).sort()) {
        const value = D.metadata[key];
        let parsed = null;
        if (value.startsWith('{')) { try { parsed = JSON.parse(value); } catch (e) { parsed = null; } }
        if (parsed && typeof parsed === 'object') {
          for (const inner of Object.keys(parsed).sort()) {
            let v = parsed[inner];
            if (inner === 'vocabulary' && typeof v === 'string') v = `${[...v].length} symbols: ${JSON.stringify(v.slice(0, 60))}${v.length > 60 ? '…' : ''}`;
            else if (typeof v !== 'string') v = JSON.stringify(v);
            rows.push([key + '.' + inner, v]);
          }
        } else rows.push([key, value]);
      }
      return rows;
    }
    function clipSetting() {
      try { const s = JSON.parse(D.metadata['training.settings'] || '{}'); return typeof s.clip === 'number' ? s.clip : null; } catch (e) { return null; }
    }
    function start() {
      const rows = D.rows, last = rows[rows.length - 1];
      const valRows = rows.filter(r => r.validationLoss !== null && r.validationLoss !== undefined);
      document.getElementById('summary').textContent = `${last.step} steps in ${fmt(last.elapsed, 1)} s; last training loss ${fmt(last.trainLoss, 4)}`
        + (valRows.length ? `; last validation loss ${fmt(valRows[valRows.length - 1].validationLoss, 4)}, best ${fmt(Math.min(...valRows.map(r => r.validationLoss)), 4)}` : '');
      charts.loss = chart(document.getElementById('loss'), { zoom: true, xLabel: 'step', yLabel: 'loss', series: [
        { name: 'training', points: rows.map(r => [r.step, r.trainLoss]) },
        { name: 'validation', dots: true, line: true, points: valRows.map(r => [r.step, r.validationLoss]) }] });
      const keys = [...new Set(rows.flatMap(r => Object.keys(r.validation || {})))].sort();
      const box = document.getElementById('validationcharts');
      keys.forEach((key, i) => {
        const title = document.createElement('h2'); title.textContent = key.replace(/_/g, ' ');
        const div = document.createElement('div'); div.className = 'chart'; div.id = 'val' + i;
        box.appendChild(title); box.appendChild(div);
        charts[key] = chart(div, { zoom: true, xLabel: 'step', yLabel: key, series: [
          { name: key, dots: true, line: true, color: palette[2 + i % 6], points: rows.filter(r => r.validation && key in r.validation).map(r => [r.step, r.validation[key]]) }] });
      });
      const normRows = rows.filter(r => r.gradientNorm !== null && r.gradientNorm !== undefined);
      const clip = clipSetting();
      if (normRows.length) {
        const series = [{ name: 'mean', points: normRows.map(r => [r.step, r.gradientNorm]) },
                        { name: 'largest', dashed: true, points: normRows.map(r => [r.step, r.gradientNormMax]) }];
        if (clip) series.push({ name: `--clip ${clip}`, color: '#000', points: [[rows[0].step, clip], [last.step, clip]] });
        charts.norm = chart(document.getElementById('norm'), { zoom: true, logY: true, xLabel: 'step', yLabel: 'global gradient norm (log scale)', series });
        charts.clipped = chart(document.getElementById('clipped'), { zoom: true, xLabel: 'step', yLabel: 'fraction of steps clipped', yRange: [0, 1],
          series: [{ name: 'clipped', color: '#d62728', points: normRows.map(r => [r.step, r.clipped]) }] });
        let steps = 0, clippedSteps = 0, previous = 0;
        for (const r of rows) { const n = r.step - previous; previous = r.step; if (r.clipped !== null && r.clipped !== undefined) { steps += n; clippedSteps += n * r.clipped; } }
        document.getElementById('clipnote').textContent = clip
          ? `Clipping at a global norm of ${clip} fired on ${fmt(clippedSteps, 0)} of ${steps} steps (${fmt(100 * clippedSteps / Math.max(steps, 1), 1)}%).`
          : 'This run did not clip (no --clip); the norm is what the optimiser used.';
      } else {
        document.getElementById('clipnote').textContent = 'This run\'s metrics.jsonl has no gradient norms (written by an older recur).';
      }
      charts.lr = chart(document.getElementById('lr'), { zoom: true, xLabel: 'step', yLabel: 'learning rate', series: [{ name: 'lr', points: rows.map(r => [r.step, r.lr]) }] });
      charts.rate = chart(document.getElementById('rate'), { zoom: true, xLabel: 'step', yLabel: D.rateKey.replace(/_/g, ' '), series: [{ name: D.rateKey.replace(/_per_s$/, '/s'), points: rows.map(r => [r.step, r.rate]) }] });
      const samples = document.getElementById('samples');
      if (!D.samples.length) samples.innerHTML = '<p class="note">No samples: the run wrote no samples.jsonl (only character models of a text write one, at each checkpoint).</p>';
      for (const s of D.samples) {
        const title = document.createElement('h3'); title.textContent = `step ${s.step}`;
        const text = document.createElement('div'); text.className = 'sample'; text.textContent = s.text;
        samples.appendChild(title); samples.appendChild(text);
      }
      document.getElementById('settings').innerHTML = '<tr><th>setting</th><th>value</th></tr>'
        + settingsRows().map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('');
    }
    function selftest() {
      const failures = [];
      if (document.querySelectorAll('#loss polyline').length < 1) failures.push('no loss curve drawn');
      const loss = document.getElementById('loss');
      const before = +loss.dataset.xmax;
      const first = D.rows[0].step, last = D.rows[D.rows.length - 1].step;
      if (last > first) {
        charts.loss.zoomTo(first, first + (last - first) / 2);
        if (!(+loss.dataset.xmax < before)) failures.push('zooming the loss chart did not narrow it');
        loss.firstChild.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
        if (+loss.dataset.xmax !== before) failures.push('double-clicking did not reset the zoom');
      }
      if (D.rows.some(r => r.gradientNorm !== undefined && r.gradientNorm !== null) && document.querySelectorAll('#norm polyline').length < 1) failures.push('no gradient norm curve');
      if (document.querySelectorAll('#samples .sample').length !== D.samples.length) failures.push('not every sample shown');
      if (Object.keys(D.metadata).length && document.querySelectorAll('#settings tr').length < 2) failures.push('no settings listed');
      return failures;
    }
    """#
}
