// The Capability Map as a service of the session: at most one panel, created on demand or revived
// after a window reload, following the session's current run. Replaces the panel's static singleton.
import * as vscode from 'vscode';
import type { MapRun } from '../../protocol/mapData';
import { Disposable, toDisposable } from '../util/dispose';
import { mapResourceRoots } from './html';
import { CapabilityMapPanel } from './panel';
import type { MapServices } from './panel';

export const MAP_VIEW_TYPE = 'cadc.capabilityMap';

export class CapabilityMap extends Disposable {
  private panel: CapabilityMapPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly services: MapServices,
    private readonly source: () => MapRun | undefined,
  ) {
    super();
    this._register(toDisposable(() => this.panel?.dispose()));
    this._register(
      vscode.window.registerWebviewPanelSerializer(MAP_VIEW_TYPE, { deserializeWebviewPanel: async (panel) => void this.revive(panel) }),
    );
  }

  /** The open panel, if any. */
  get current(): CapabilityMapPanel | undefined {
    return this.panel;
  }

  /** Shows the map (creating its panel if none is open) on the session's current run. */
  show(): CapabilityMapPanel {
    if (this.panel) {
      this.panel.reveal();
      this.panel.setSource(this.source());
      if (!this.source()) void this.services.ensureRun();
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(MAP_VIEW_TYPE, 'CADC: Capability Map', vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: mapResourceRoots(this.extensionUri),
    });
    return this.adopt(panel);
  }

  /** Restores a panel after a window reload (the serializer hands back the webview panel). */
  private revive(panel: vscode.WebviewPanel): CapabilityMapPanel {
    panel.webview.options = { enableScripts: true, localResourceRoots: mapResourceRoots(this.extensionUri) };
    this.panel?.dispose();
    return this.adopt(panel);
  }

  /** The session's run changed: an open map follows it. */
  refresh(): void {
    this.panel?.setSource(this.source());
  }

  private adopt(webviewPanel: vscode.WebviewPanel): CapabilityMapPanel {
    const panel = new CapabilityMapPanel(webviewPanel, this.extensionUri, this.log, this.services);
    this.panel = panel;
    webviewPanel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.services.release();
    });
    panel.setSource(this.source());
    if (!this.source()) void this.services.ensureRun();
    return panel;
  }
}
