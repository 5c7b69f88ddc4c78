// Shared by the start screen and the assessment: the sessionStorage key that carries the proctoring
// consent given with Start across the reload that follows it.
export const CONSENTED_KEY = (pageUrl) => `dsa-consented:${pageUrl}`;
