// The Capability Map's HTML shell: a strict CSP (default-src 'none', a fresh nonce per render for
// the two module scripts) and only dist/webview as the source of scripts, styles and fonts.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** The local resource roots the map's webview may load from. */
export function mapResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')];
}

export function mapHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', f)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('capabilityMap.css')}">
<title>CADC: Capability Map</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="empty">Loading…</p></main>
<script nonce="${nonce}" type="module" src="${asset('vscode-elements.js')}"></script>
<script nonce="${nonce}" type="module" src="${asset('capabilityMap.js')}"></script>
</body>
</html>`;
}
