import Foundation
import Recur

/// `recur viz` for classifiers, taggers and encoder-decoders: per-step predictions of the first
/// examples of a data file and, for an encoder-decoder, its attention maps.
///
/// - classify: for each example, the class probabilities after each prefix (what the model says if
///   the sequence ended at that step; `StepPredictions.classifierPrefixes`), drawn as one line per
///   class, and each step coloured by the probability of the final prediction;
/// - tag: each step's predicted tag under its token, green where it equals the given tag, red where
///   not, its top tags on hover;
/// - seq2seq: each source, its reference (when given) and the greedy prediction, with the attention
///   weights of every written symbol over the source symbols.
enum SequenceVizPage {
    struct Example: Encodable {
        var line: Int
        /// The steps as shown: tokens, characters, or step numbers for numeric frames.
        var steps: [String]
        /// classify: the given label; seq2seq: the reference target.
        var truth: String?
        /// tag: the given tags.
        var truthSteps: [String]?
        /// classify and tag: per step, every class's probability.
        var probabilities: [[Double]]?
        /// seq2seq: the prediction and the attention map (SVG).
        var prediction: String?
        var attention: String?
    }

    struct Data: Encodable {
        var kind: String
        var classes: [String]
        var examples: [Example]
    }

    static func html(kind: String, classes: [String], examples: [Example], title: String, note: String) throws -> String {
        let body = """
        <p class="note">\(HTMLPage.escape(note))</p>
        <div class="controls" id="picker"><label>example <select id="example"></select></label> <span id="verdict" class="note"></span></div>
        <div id="steps" class="text"></div>
        <div id="tip"></div>
        <div id="curve" class="chart"></div>
        <div id="attention"></div>
        <h2>All examples shown</h2>
        <table id="summary"></table>
        """
        return try HTMLPage.document(title: "recur viz: " + title, body: body, data: Data(kind: kind, classes: classes, examples: examples),
                                     script: script)
    }

    static let script = #"""
    let chosen = 0;
    const argmax = p => p.reduce((best, v, i) => v > p[best] ? i : best, 0);
    function likeliest(p, k) { return p.map((v, i) => [i, v]).sort((a, b) => b[1] - a[1]).slice(0, k); }
    function tipAt(e, html) {
      const tip = document.getElementById('tip');
      tip.innerHTML = html; tip.style.display = 'block';
      tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 320) + 'px';
      tip.style.top = Math.min(e.clientY + 14, window.innerHeight - 200) + 'px';
    }
    function probabilityList(p) {
      return likeliest(p, 5).map(([i, v]) => `<span class="bar" style="width:${Math.round(v * 120)}px"></span> ${esc(D.classes[i])} ${fmt(v, 3)}`).join('<br>');
    }
    function show(index) {
      chosen = index;
      const ex = D.examples[index], box = document.getElementById('steps');
      document.getElementById('example').value = String(index);
      box.innerHTML = ''; document.getElementById('curve').innerHTML = ''; document.getElementById('attention').innerHTML = '';
      const verdict = document.getElementById('verdict');
      if (D.kind === 'classify') {
        const final = argmax(ex.probabilities[ex.probabilities.length - 1]);
        verdict.textContent = `predicted ${D.classes[final]}` + (ex.truth ? `, given ${ex.truth}` : '');
        ex.steps.forEach((s, t) => {
          const span = document.createElement('span');
          span.textContent = s + (ex.steps.length > 1 && [...s].length > 1 ? ' ' : '');
          const p = ex.probabilities[t][final];
          span.style.backgroundColor = `rgba(31,119,180,${(0.85 * p).toFixed(3)})`;
          span.dataset.t = t;
          span.addEventListener('mouseover', e => tipAt(e, `after step ${t + 1} of ${ex.steps.length}:<br>` + probabilityList(ex.probabilities[t])));
          box.appendChild(span);
        });
        const shownClasses = likeliest(ex.probabilities[ex.probabilities.length - 1], 8).map(c => c[0]);
        chart(document.getElementById('curve'), { xLabel: 'steps read', yLabel: 'probability', yRange: [0, 1],
          series: shownClasses.map(c => ({ name: D.classes[c], points: ex.probabilities.map((p, t) => [t + 1, p[c]]) })) });
      } else if (D.kind === 'tag') {
        let right = 0, given = 0;
        ex.steps.forEach((s, t) => {
          const p = ex.probabilities[t], best = argmax(p), truth = ex.truthSteps ? ex.truthSteps[t] : null;
          const cell = document.createElement('span');
          cell.style.display = 'inline-block'; cell.style.margin = '0 4px 6px 0'; cell.style.textAlign = 'center';
          const ok = truth === null || truth === undefined ? null : truth === D.classes[best];
          if (ok !== null) { given++; if (ok) right++; }
          cell.style.backgroundColor = ok === null ? '#eee' : ok ? '#cfc' : '#fcc';
          cell.innerHTML = `${esc(s)}<br><small>${esc(D.classes[best])}${ok === false ? ' ≠ ' + esc(truth) : ''}</small>`;
          cell.dataset.t = t;
          cell.addEventListener('mouseover', e => tipAt(e, `step ${t + 1}: ${esc(s)}<br>` + probabilityList(p)));
          box.appendChild(cell);
        });
        verdict.textContent = given ? `${right} of ${given} tags as given` : 'no tags given';
      } else {
        verdict.textContent = '';
        box.innerHTML = `<b>source</b> ${esc(ex.steps.join(''))}<br><b>prediction</b> ${esc(ex.prediction)}` + (ex.truth !== null && ex.truth !== undefined ? `<br><b>reference</b> ${esc(ex.truth)}` : '');
        if (ex.attention) document.getElementById('attention').innerHTML = '<h2>Attention</h2><p class="note">Each row is a written symbol, each column a source symbol; darker is more weight.</p>' + ex.attention;
      }
    }
    function start() {
      const select = document.getElementById('example');
      D.examples.forEach((ex, i) => select.add(new Option(`${i + 1} (line ${ex.line})`, String(i))));
      select.addEventListener('change', () => show(+select.value));
      document.getElementById('steps').addEventListener('mouseleave', () => { document.getElementById('tip').style.display = 'none'; });
      let rows = '';
      if (D.kind === 'classify') {
        rows = '<tr><th>example</th><th>line</th><th>given</th><th>predicted</th><th>probability</th><th>settled after step</th></tr>';
        D.examples.forEach((ex, i) => {
          const final = argmax(ex.probabilities[ex.probabilities.length - 1]);
          let settled = ex.probabilities.length;
          while (settled > 1 && argmax(ex.probabilities[settled - 2]) === final) settled--;
          rows += `<tr class="pick" data-i="${i}"><td>${i + 1}</td><td>${ex.line}</td><td>${esc(ex.truth || '—')}</td><td>${esc(D.classes[final])}</td><td>${fmt(ex.probabilities[ex.probabilities.length - 1][final], 3)}</td><td>${settled} of ${ex.steps.length}</td></tr>`;
        });
      } else if (D.kind === 'tag') {
        rows = '<tr><th>example</th><th>line</th><th>steps</th><th>tags as given</th></tr>';
        D.examples.forEach((ex, i) => {
          const right = ex.truthSteps ? ex.steps.filter((_, t) => ex.truthSteps[t] === D.classes[argmax(ex.probabilities[t])]).length : null;
          rows += `<tr class="pick" data-i="${i}"><td>${i + 1}</td><td>${ex.line}</td><td>${ex.steps.length}</td><td>${right === null ? '—' : right + ' of ' + ex.steps.length}</td></tr>`;
        });
      } else {
        rows = '<tr><th>example</th><th>line</th><th>source</th><th>prediction</th><th>reference</th></tr>';
        D.examples.forEach((ex, i) => {
          rows += `<tr class="pick" data-i="${i}"><td>${i + 1}</td><td>${ex.line}</td><td>${esc(ex.steps.join(''))}</td><td>${esc(ex.prediction)}</td><td>${esc(ex.truth === null || ex.truth === undefined ? '—' : ex.truth)}</td></tr>`;
        });
      }
      const table = document.getElementById('summary');
      table.innerHTML = rows;
      table.addEventListener('click', e => { const row = e.target.closest('tr.pick'); if (row) show(+row.dataset.i); });
      show(0);
    }
    function selftest() {
      const failures = [];
      const ex = D.examples[0];
      if (D.kind !== 'seq2seq') {
        const shown = document.querySelectorAll('#steps [data-t]').length;
        if (shown !== ex.steps.length) failures.push(`expected ${ex.steps.length} steps shown, found ${shown}`);
        document.querySelector('#steps [data-t]').dispatchEvent(new MouseEvent('mouseover', { bubbles: true, clientX: 20, clientY: 20 }));
        if (document.getElementById('tip').style.display !== 'block') failures.push('hovering a step showed no probabilities');
        document.getElementById('tip').style.display = 'none';
      }
      if (D.kind === 'classify' && document.querySelectorAll('#curve polyline').length < 1) failures.push('no probability curve drawn');
      if (D.kind === 'seq2seq' && ex.attention && !document.querySelector('#attention svg')) failures.push('no attention map drawn');
      if (D.examples.length > 1) {
        const select = document.getElementById('example');
        select.value = '1'; select.dispatchEvent(new Event('change'));
        if (chosen !== 1) failures.push('the example picker did not change the example');
      }
      if (document.querySelectorAll('#summary tr.pick').length !== D.examples.length) failures.push('the summary does not list every example');
      return failures;
    }
    """#
}
