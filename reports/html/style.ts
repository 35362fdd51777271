/** The report's stylesheet, inlined into the page. */
export const STYLE = `
:root { --held:#2e7d32; --expected:#c49000; --unexpected:#c62828; --nc:#9e9e9e; --ink:#222; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; color: var(--ink); margin: 16px 24px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
h3 { font-size: 15px; margin: 0 0 6px; } h4 { font-size: 13px; margin: 12px 0 4px; }
code { font: 12px ui-monospace, monospace; background: #f4f4f4; padding: 1px 4px; border-radius: 3px; }
.meta { color: #555; margin: 0 0 12px; }
.key span { display: inline-block; margin-right: 14px; }
.key i { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 4px; border-radius: 2px; }
i.held, .cell.held { background: var(--held); } i.expected, .cell.expected { background: var(--expected); }
i.unexpected, .cell.unexpected { background: var(--unexpected); } i.not-checked, .cell.not-checked { background: #e0e0e0; }
table.matrix { border-collapse: collapse; margin-top: 8px; }
.matrix th, .matrix td { border: 1px solid #fff; padding: 2px 8px; }
.matrix thead th { vertical-align: bottom; background: #37474f; color: #fff; font-weight: 600; }
.matrix th.engine .name { max-width: 130px; overflow-wrap: anywhere; }
.matrix tbody th { text-align: left; font-weight: normal; white-space: nowrap; }
.matrix tr.family th { font-weight: 600; padding-top: 8px; }
.matrix tr.family td, .matrix tr.family th { background: #eceff1; }
.counts { font: 11px ui-monospace, monospace; white-space: nowrap; }
.counts span { display: inline-block; min-width: 20px; text-align: center; border-radius: 3px; margin: 1px; padding: 0 2px; color: #fff; }
.counts .held { background: var(--held); } .counts .expected { background: var(--expected); }
.counts .unexpected { background: var(--unexpected); } .counts .not-checked { background: var(--nc); }
.cell { text-align: center; color: #fff; min-width: 60px; font-weight: 700; }
.cell.not-checked { color: #777; } .cell.failed { background: #6a1b9a; }
.cell a { color: #fff; text-decoration: none; display: block; }
.cell a:hover { outline: 2px solid #000; }
.cell.selected { outline: 3px solid #1565c0; outline-offset: -3px; }
.witness { display: none; border: 1px solid #ccc; border-left: 6px solid var(--unexpected); padding: 12px 16px; margin: 16px 0; }
.witness.expected { border-left-color: var(--expected); }
.witness:target, .witness.open { display: block; }
.badge { font-size: 11px; color: #fff; border-radius: 3px; padding: 1px 6px; vertical-align: 2px; }
.badge.unexpected { background: var(--unexpected); } .badge.expected { background: var(--expected); }
.clause-text { color: #555; margin: 0 0 6px; font-style: italic; }
.summary { font-weight: 600; }
.replay { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.replay button { font: inherit; padding: 2px 10px; cursor: pointer; }
.copied { color: var(--held); font-size: 12px; }
.retainers code { white-space: normal; overflow-wrap: anywhere; }
.legend { color: #555; font-size: 12px; } .violation-key { color: var(--unexpected); font-weight: 700; }
.timeline-wrap { overflow: auto; max-height: 640px; border: 1px solid #eee; }
svg.timeline { font: 11px system-ui, sans-serif; display: block; }
svg.timeline .lane { stroke: #cfd8dc; stroke-width: 2; }
svg.timeline .lane-title { font-weight: 700; fill: #37474f; }
svg.timeline .lane-kind, svg.timeline .instant { fill: #90a4ae; font-size: 10px; }
svg.timeline .shape { fill: #546e7a; stroke: #546e7a; stroke-width: 1.5; }
svg.timeline .mark-deliver .shape { fill: #1e88e5; stroke: #1e88e5; }
svg.timeline .mark-error .shape { stroke: #6a1b9a; }
svg.timeline .label { fill: #263238; }
svg.timeline .violation-band { fill: #ffebee; }
svg.timeline .violation .shape { fill: var(--unexpected); stroke: var(--unexpected); }
svg.timeline .violation .label { fill: var(--unexpected); font-weight: 700; }
svg.timeline .skip { stroke: #b0bec5; stroke-dasharray: 4 3; }
svg.timeline .skip-text { fill: #78909c; font-style: italic; font-size: 10px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { margin: 0; border: 1px solid #eee; padding: 8px; }
.chart figcaption { font-weight: 600; font-size: 13px; } .chart .better { color: #777; font-weight: normal; }
.chart svg { font: 11px system-ui, sans-serif; display: block; }
.bar { fill: #5c6bc0; } .bar.reference { fill: #2e7d32; } .bar.marked { fill: #c49000; opacity: .75; }
.rme { stroke: #222; stroke-width: 1.5; } .bar-missing { fill: #999; font-style: italic; }
.bench-error { color: var(--unexpected); }
`;
