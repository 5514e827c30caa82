/**
 * What a causal trace leaves for people to read: {@code summary.json} ({@link SummaryJson}), heatmaps as PNG and
 * SVG ({@link Heatmaps}: kinds × layers of the mean effect, one per image, and the layer × patch-grid map of a
 * token sweep), the token sweep's CSV ({@link TokenSweepCsv}) and a fixed-width terminal table
 * ({@link SummaryTable}). {@link TraceInfo} carries what every title must say (model, corruption, images, window,
 * metric, label choice) so that a figure needs no caption elsewhere. Circuits (from plain data, whatever found them):
 * {@link CircuitFigure} (the layered graph), {@link FaithfulnessPlot} and a report page's {@link CircuitSection}.
 *
 * <p>Reading order: {@link TraceInfo}, {@link SummaryTable}, {@link SummaryJson}, {@link Heatmaps} (with its colour
 * scale, {@code DivergingScale}).
 */
package io.github.vit4j.report;
