// When the extension's code started loading: imported first by extension.ts, so the cold start timing
// lines in the output (see `mark` there) count the time Node takes to load the client library too.

export const loadStarted = Date.now();
