import Foundation
import Recur

/// `recur viz` for a character model: the text coloured by a unit's activation, the unit picker and
/// ranking, the hover panel (next-symbol probabilities, gates) and the gate saturation plots.
///
/// Activations travel as signed bytes, base64: h, c and the gates of step t, unit u at `[t * H + u]`
/// (gates `[(t * G + g) * H + u]`), each unit's values divided by its largest magnitude over the text
/// (`scale`) and rounded to 1/127 of it. Gates are 0...1 or -1...1 already: scale 1.
enum CharacterVizPage {
    struct State: Encodable {
        var layer: Int
        var name: String
        var scale: [Float]
        var values: String
    }

    struct Ranked: Encodable {
        var layer: Int
        var state: String
        var unit: Int
        var measure: String?
        var r: Double?
        var correlations: [Double?]
    }

    struct SaturationGate: Encodable {
        var name: String
        var left: [Double]
        var right: [Double]
    }

    struct Data: Encodable {
        var kind = "lm"
        var text: [String]
        var restarts: [Int]
        var cell: String
        var layers: Int
        var hidden: Int
        var gateNames: [String]
        var states: [State]
        var gates: [String]
        var nextSymbols: [[String]]
        var nextProbabilities: [[Double]]
        var measures: [String]
        var ranking: [Ranked]
        var saturation: [[SaturationGate]]
    }

    /// The units listed in the ranking table.
    static let rankedShown = 40

    static func html(trace: ActivationTrace, text: [Unicode.Scalar], vocabulary: Vocabulary, restarts: Set<Int>, title: String) throws -> String {
        let H = trace.hiddenSize, T = trace.steps
        func shown(_ s: Unicode.Scalar) -> String {
            switch s {
            case CharRNNConfiguration.beginSymbol: "▸"
            case CharRNNConfiguration.endSymbol: "◂"
            default: String(Character(s))
            }
        }
        func bytes(_ values: [Float], scale: (Int) -> Float, width: Int) -> String {
            var out = [UInt8](repeating: 0, count: values.count)
            for i in 0..<values.count {
                let s = scale(i % width)
                let q = s > 0 ? (values[i] / s * 127).rounded() : 0
                out[i] = UInt8(bitPattern: Int8(max(-127, min(127, q.isFinite ? q : 0))))
            }
            return Foundation.Data(out).base64EncodedString()
        }
        func state(_ layer: Int, _ name: String, _ values: [Float]) -> State {
            var scale = [Float](repeating: 0, count: H)
            for t in 0..<T { for u in 0..<H where values[t * H + u].isFinite { scale[u] = max(scale[u], abs(values[t * H + u])) } }
            return State(layer: layer, name: name, scale: scale, values: bytes(values, scale: { scale[$0] }, width: H))
        }
        var states: [State] = []
        for l in 0..<trace.layerCount {
            states.append(state(l, "h", trace.hidden[l]))
            if !trace.cells.isEmpty { states.append(state(l, "c", trace.cells[l])) }
        }
        let measures = UnitMeasures(trace: trace, text: text)
        let saturation = GateSaturation(trace)
        func rounded(_ x: Double, _ digits: Double = 1e4) -> Double { (x * digits).rounded() / digits }
        let data = Data(
            text: text.map(shown), restarts: restarts.sorted(), cell: trace.cell.rawValue, layers: trace.layerCount, hidden: H,
            gateNames: trace.gateNames.map(\.name), states: states,
            gates: trace.gates.map { bytes($0, scale: { _ in 1 }, width: H) },
            nextSymbols: trace.next.map { $0.map { shown(vocabulary.symbols[$0.id]) } },
            nextProbabilities: trace.next.map { $0.map { rounded(Double($0.probability)) } },
            measures: UnitMeasures.names,
            ranking: measures.ranked.prefix(rankedShown).map { unit in
                Ranked(layer: unit.layer, state: unit.cellState ? "c" : "h", unit: unit.unit,
                       measure: unit.best.map { UnitMeasures.names[$0.measure] }, r: unit.best.map { rounded($0.r, 1e3) },
                       correlations: unit.correlations.map { $0.map { rounded($0, 1e3) } })
            },
            saturation: saturation.layers.map { $0.map { SaturationGate(name: $0.name, left: $0.left.map { rounded($0) }, right: $0.right.map { rounded($0) }) } })
        let hasGates = !trace.gateNames.isEmpty
        let body = """
        <p class="note">\(T) characters, \(trace.layerCount) \(trace.cell.rawValue.uppercased()) layer\(trace.layerCount == 1 ? "" : "s") of \(H) units.
        Each character's background is the chosen unit's value after reading it: <span style="background:rgba(31,119,180,.8);color:#fff">&nbsp;positive&nbsp;</span>
        <span style="background:rgba(214,39,40,.8);color:#fff">&nbsp;negative&nbsp;</span> (h as it is, c through tanh, as Karpathy et al. draw them).
        Hover a character for the model's next-character guesses and the gates at that step.</p>
        <div class="controls">
        <label>layer <select id="layer"></select></label>
        <label>state <select id="state"></select></label>
        <label>unit <input id="unit" type="number" min="0" max="\(H - 1)" value="0" style="width:6em"></label>
        <span id="unitinfo" class="note"></span>
        </div>
        <div id="text" class="text"></div>
        <div id="tip"></div>
        <h2>Units that track something</h2>
        <p class="note">Pearson's r between each unit's value after reading a character and four properties of the text there:
        line position (characters since the last newline), inside quotes (between " or “ ”), inside brackets (( [ { open),
        word position (letters or digits since the last other character). A property constant over this text has no r (—).
        The \(rankedShown) units with the largest |r| of all \(measures.ranked.count) (h\(trace.cells.isEmpty ? "" : " and c") of every layer); click a row to colour the text by it.</p>
        <table id="ranking"></table>
        \(hasGates ? """
        <h2>Gate saturation</h2>
        <p class="note">Per layer, each point is one unit of one gate: the fraction of steps it spends left-saturated (below 0.1, shut)
        against right-saturated (above 0.9, wide open) over this text. Points near the diagonal x + y = 1 are on or off nearly always;
        forget gate units high on the y axis remember across long spans (Karpathy et al. 2015, figure 3).</p>
        <div id="saturation"></div>
        """ : "<p class=\"note\">A vanilla RNN has no gates: no saturation plot.</p>")
        """
        return try HTMLPage.document(title: "recur viz: " + title, body: body, data: data, script: script)
    }

    static let script = #"""
    const T = D.text.length, HU = D.hidden, G = D.gateNames.length;
    const states = {};
    for (const s of D.states) states[s.layer + s.name] = { values: decodeInt8(s.values), scale: s.scale };
    const gates = D.gates.map(decodeInt8);
    const current = { layer: 0, state: 'h', unit: 0 };
    let spans = [];
    function value(t) {
      const s = states[current.layer + current.state];
      return s.values[t * HU + current.unit] / 127 * s.scale[current.unit];
    }
    function colour(v) {
      const a = Math.max(-1, Math.min(1, current.state === 'c' ? Math.tanh(v) : v));
      return a >= 0 ? `rgba(31,119,180,${(0.9 * a).toFixed(3)})` : `rgba(214,39,40,${(-0.9 * a).toFixed(3)})`;
    }
    function recolour() {
      for (let t = 0; t < T; t++) spans[t].style.backgroundColor = colour(value(t));
      document.getElementById('layer').value = String(current.layer);
      document.getElementById('state').value = current.state;
      document.getElementById('unit').value = String(current.unit);
      const ranked = D.ranking.find(r => r.layer === current.layer && r.state === current.state && r.unit === current.unit);
      document.getElementById('unitinfo').textContent = ranked && ranked.measure ? `r = ${ranked.r} with ${ranked.measure}` : '';
      document.querySelectorAll('#ranking tr.pick').forEach(row => row.classList.toggle('chosen',
        +row.dataset.layer === current.layer && row.dataset.state === current.state && +row.dataset.unit === current.unit));
    }
    function choose(layer, state, unit) {
      current.layer = layer; current.state = state; current.unit = Math.max(0, Math.min(HU - 1, unit | 0));
      recolour();
    }
    function showTip(t, e) {
      const tip = document.getElementById('tip');
      let s = `step ${t}: <b>${esc(JSON.stringify(D.text[t]))}</b><br>layer ${current.layer} ${current.state}[${current.unit}] = ${fmt(value(t))}<br>`;
      if (G > 0) {
        const g = gates[current.layer];
        s += 'gates of this unit: ' + D.gateNames.map((name, k) => `${name} ${fmt(g[(t * G + k) * HU + current.unit] / 127, 2)}`).join(', ') + '<br>';
        s += 'layer means: ' + D.gateNames.map((name, k) => {
          let sum = 0; for (let u = 0; u < HU; u++) sum += g[(t * G + k) * HU + u];
          return `${name} ${fmt(sum / HU / 127, 2)}`;
        }).join(', ') + '<br>';
      }
      s += 'next character:<br>';
      D.nextSymbols[t].forEach((symbol, k) => {
        const p = D.nextProbabilities[t][k];
        s += `<span class="bar" style="width:${Math.round(p * 120)}px"></span> ${esc(JSON.stringify(symbol))} ${fmt(p, 3)}<br>`;
      });
      tip.innerHTML = s;
      tip.style.display = 'block';
      tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 320) + 'px';
      tip.style.top = Math.min(e.clientY + 14, window.innerHeight - 220) + 'px';
    }
    function start() {
      const box = document.getElementById('text');
      const restarts = new Set(D.restarts);
      const fragment = document.createDocumentFragment();
      for (let t = 0; t < T; t++) {
        if (t > 0 && restarts.has(t)) fragment.appendChild(document.createTextNode('\n'));
        const span = document.createElement('span');
        span.textContent = D.text[t] === '\n' ? '↵' : D.text[t];
        span.dataset.t = t;
        fragment.appendChild(span);
        if (D.text[t] === '\n') fragment.appendChild(document.createTextNode('\n'));
        spans.push(span);
      }
      box.appendChild(fragment);
      box.addEventListener('mouseover', e => { if (e.target.dataset && e.target.dataset.t !== undefined) showTip(+e.target.dataset.t, e); });
      box.addEventListener('mouseleave', () => { document.getElementById('tip').style.display = 'none'; });
      const layer = document.getElementById('layer'), state = document.getElementById('state'), unit = document.getElementById('unit');
      for (let l = 0; l < D.layers; l++) layer.add(new Option(String(l), String(l)));
      for (const s of D.states.filter(s => s.layer === 0)) state.add(new Option(s.name === 'h' ? 'h (hidden)' : 'c (cell)', s.name));
      layer.addEventListener('change', () => choose(+layer.value, current.state, current.unit));
      state.addEventListener('change', () => choose(current.layer, state.value, current.unit));
      unit.addEventListener('change', () => choose(current.layer, current.state, +unit.value));
      let rows = `<tr><th>rank</th><th>layer</th><th>state</th><th>unit</th><th>best</th><th>r</th>${D.measures.map(m => `<th>${esc(m)}</th>`).join('')}</tr>`;
      D.ranking.forEach((r, i) => {
        rows += `<tr class="pick" data-layer="${r.layer}" data-state="${r.state}" data-unit="${r.unit}"><td>${i + 1}</td><td>${r.layer}</td><td>${r.state}</td><td>${r.unit}</td>`
          + `<td>${r.measure ? esc(r.measure) : '—'}</td><td>${r.r === null ? '—' : r.r}</td>${r.correlations.map(c => `<td>${c === null ? '—' : c}</td>`).join('')}</tr>`;
      });
      const table = document.getElementById('ranking');
      table.innerHTML = rows;
      table.addEventListener('click', e => {
        const row = e.target.closest('tr.pick');
        if (row) choose(+row.dataset.layer, row.dataset.state, +row.dataset.unit);
      });
      const saturation = document.getElementById('saturation');
      if (saturation) {
        D.saturation.forEach((layerGates, l) => {
          const div = document.createElement('div');
          div.className = 'chart'; div.id = 'saturation' + l;
          saturation.appendChild(div);
          chart(div, { series: layerGates.map(g => ({ name: `layer ${l} ${g.name}`, dots: true, points: g.left.map((x, u) => [x, g.right[u]]) })),
                       xLabel: 'fraction left-saturated (< 0.1)', yLabel: 'fraction right-saturated (> 0.9)',
                       xRange: [0, 1], yRange: [0, 1], width: 520, height: 400 });
        });
      }
      const best = D.ranking.find(r => r.measure);
      if (best) choose(best.layer, best.state, best.unit); else recolour();
    }
    function selftest() {
      const failures = [];
      if (spans.length !== T) failures.push(`expected ${T} coloured characters, found ${spans.length}`);
      const colours = () => spans.map(s => s.style.backgroundColor).join('|');
      const before = colours();
      const unit = document.getElementById('unit');
      let changed = false;
      for (let k = 1; k <= Math.min(8, HU - 1) && !changed; k++) {
        unit.value = String((current.unit + k) % HU);
        unit.dispatchEvent(new Event('change'));
        changed = colours() !== before;
      }
      if (HU > 1 && !changed) failures.push('the unit picker did not change the colouring');
      spans[Math.min(2, T - 1)].dispatchEvent(new MouseEvent('mouseover', { bubbles: true, clientX: 20, clientY: 20 }));
      const tip = document.getElementById('tip');
      if (tip.style.display !== 'block' || tip.textContent.indexOf('next character') < 0) failures.push('hovering a character showed no next-character panel');
      if (D.nextSymbols[0].length && tip.querySelectorAll('.bar').length !== D.nextSymbols[0].length) failures.push('the hover panel does not list the top next characters');
      if (G > 0 && document.querySelectorAll('#saturation svg circle').length === 0) failures.push('no gate saturation points drawn');
      const row = document.querySelector('#ranking tr.pick:last-child');
      if (row) { row.click(); if (+row.dataset.unit !== current.unit) failures.push('clicking a ranked unit did not choose it'); }
      tip.style.display = 'none';
      return failures;
    }
    """#
}
