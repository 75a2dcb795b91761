import Foundation
import Recur

/// The page of `recur gradient-flow`: the gradient norm against the distance to the loss (log scale),
/// the accuracy each cell reaches by sequence length, the training losses, and the figures as a table.
enum GradientFlowPage {
    struct Run: Encodable {
        var cell: String
        var length: Int
        var accuracy: Double
        var mse: Double
        var seconds: Double
        var initialNorms: [Double]
        var trainedNorms: [Double]
        var losses: [[Double]]
    }

    struct Data: Encodable {
        var flowLength: Int
        var runs: [Run]
        var tolerance: Double
        var baseline: Double
    }

    static func html(results: [GradientFlowExperiment], flowLength: Int, settingsText: String) throws -> String {
        let data = Data(
            flowLength: flowLength,
            runs: results.map { r in
                Run(cell: GradientFlowCommand.name(r.settings.cell), length: r.settings.length, accuracy: r.accuracy, mse: r.meanSquaredError,
                    seconds: (r.seconds * 10).rounded() / 10, initialNorms: r.initialNorms, trainedNorms: r.trainedNorms,
                    losses: r.losses.map { [Double($0.step), $0.loss] })
            },
            tolerance: AddingProblem.tolerance, baseline: AddingProblem.baselineError)
        let body = """
        <p class="note">The adding problem: each step reads a number in [0, 1) and a marker, set at one step of the first half
        and one of the second; after the last step the model (one recurrent layer, then a linear map of the last h) must give the
        sum of the two marked numbers. \(HTMLPage.escape(settingsText)).</p>
        <h2>How much gradient reaches each step</h2>
        <p class="note">The mean over 256 held-out sequences of ||dL/dh<sub>t</sub>|| against the number of steps between h<sub>t</sub>
        and the loss, at length <span id="flowlength"></span>: dashed at initialisation, solid after training. A line that falls
        steeply is a vanishing gradient: the early steps, where the first marked number is, barely learn.</p>
        <div id="flow" class="chart"></div>
        <h2>Accuracy by sequence length</h2>
        <p class="note">The fraction of 1000 fresh sequences answered within \(AddingProblem.tolerance) of the sum; always answering 1
        (the mean) scores about 0.1, with a mean squared error of 1/6.</p>
        <div id="accuracy" class="chart"></div>
        <h2>Training loss</h2>
        <div id="loss" class="chart"></div>
        <h2>Figures</h2>
        <table id="figures"></table>
        """
        return try HTMLPage.document(title: "recur gradient-flow", body: body, data: data, script: script)
    }

    static let script = #"""
    const cells = [...new Set(D.runs.map(r => r.cell))];
    const colourOf = cell => palette[cells.indexOf(cell) % palette.length];
    function start() {
      document.getElementById('flowlength').textContent = D.flowLength;
      const shown = D.runs.filter(r => r.length === D.flowLength);
      const distance = norms => norms.map((v, t) => [norms.length - 1 - t, v]);
      chart(document.getElementById('flow'), {
        series: shown.flatMap(r => [
          { name: `${r.cell} initial`, color: colourOf(r.cell), dashed: true, points: distance(r.initialNorms) },
          { name: `${r.cell} trained`, color: colourOf(r.cell), points: distance(r.trainedNorms) }]),
        xLabel: 'steps between h_t and the loss', yLabel: 'mean ||dL/dh_t|| (log scale)', logY: true });
      chart(document.getElementById('accuracy'), {
        series: cells.map(cell => ({ name: cell, color: colourOf(cell), dots: true, line: true,
          points: D.runs.filter(r => r.cell === cell).map(r => [r.length, r.accuracy]) })),
        xLabel: 'sequence length', yLabel: `accuracy (within ${D.tolerance})`, yRange: [0, 1] });
      chart(document.getElementById('loss'), {
        series: shown.map(r => ({ name: `${r.cell}, length ${r.length}`, color: colourOf(r.cell), points: r.losses })),
        xLabel: 'step', yLabel: 'mean squared error (log scale)', logY: true, zoom: true });
      let rows = '<tr><th>cell</th><th>length</th><th>accuracy</th><th>mean squared error</th><th>|dL/dh_0| / |dL/dh_T-1| initial</th><th>trained</th><th>seconds</th></tr>';
      for (const r of D.runs) {
        const ratio = n => n.length && n[n.length - 1] > 0 ? (n[0] / n[n.length - 1]).toExponential(2) : '—';
        rows += `<tr><td>${esc(r.cell)}</td><td>${r.length}</td><td>${r.accuracy.toFixed(3)}</td><td>${fmt(r.mse, 5)}</td><td>${ratio(r.initialNorms)}</td><td>${ratio(r.trainedNorms)}</td><td>${r.seconds}</td></tr>`;
      }
      document.getElementById('figures').innerHTML = rows;
    }
    function selftest() {
      const failures = [];
      const shown = D.runs.filter(r => r.length === D.flowLength).length;
      const lines = document.querySelectorAll('#flow polyline').length;
      if (lines !== 2 * shown) failures.push(`expected ${2 * shown} gradient-norm lines, found ${lines}`);
      const points = document.querySelectorAll('#accuracy circle').length;
      if (points !== D.runs.length) failures.push(`expected ${D.runs.length} accuracy points, found ${points}`);
      const rows = document.querySelectorAll('#figures tr').length - 1;
      if (rows !== D.runs.length) failures.push(`expected ${D.runs.length} table rows, found ${rows}`);
      return failures;
    }
    """#
}
