/** The stage's look (black around the stimulus, the prompt under it) and the card image the chinrest's match uses. */
export const STUDY_CSS = `
.predlab-stage { position: fixed; inset: 0; background: #000; }
.predlab-stage canvas { width: 100%; height: 100%; display: block; }
.predlab-stage-text { position: absolute; left: 0; right: 0; bottom: 6%; text-align: center; color: #ccc; font: 18px system-ui, sans-serif; }
`;

/** A bank card drawn as SVG (85.6 x 54 mm), inline: the study fetches nothing. */
export const CARD_IMAGE = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 856 540"><rect x="2" y="2" width="852" height="536" rx="36" fill="#cfd8e3" stroke="#334" stroke-width="4"/><rect x="80" y="190" width="120" height="92" rx="12" fill="#d9b44a"/><text x="80" y="420" font-family="monospace" font-size="56" fill="#334">0000 0000 0000 0000</text></svg>',
)}`;
