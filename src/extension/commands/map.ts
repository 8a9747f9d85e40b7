// Commands that open the Capability Map: CADC: Show Capability Map, CADC: Quality Report and
// CADC: Compare Strategies (the last two run as jobs of the map's panel).
import * as vscode from 'vscode';
import type { Comparison, QualityReport } from '../../core/report/types';
import type { CapabilityMap } from '../capabilityMap/map';
import type { CapabilityMapPanel } from '../capabilityMap/panel';
import type { MapStrategy } from '../../protocol/capabilityMap';
import type { CurationSession } from '../session';
import type { Command } from './command';

const UNTRUSTED = 'CADC does not run the engine in an untrusted workspace. Trust the workspace to run it; manifests stay readable.';

export class ShowMapCommand implements Command {
  readonly id = 'cadc.showCapabilityMap';
  constructor(private readonly map: CapabilityMap) {}
  execute(): CapabilityMapPanel {
    return this.map.show();
  }
}

export class QualityReportCommand implements Command {
  readonly id = 'cadc.qualityReport';
  constructor(
    private readonly session: CurationSession,
    private readonly map: CapabilityMap,
  ) {}
  async execute(): Promise<QualityReport | undefined> {
    if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage(UNTRUSTED);
    await this.session.ensureRun();
    if (!this.session.mapSource())
      return void vscode.window.showInformationMessage(
        'CADC: run CADC: Curate first (or open a dataset whose manifest is in the workspace); the quality report compares the pool with its selection.',
      );
    const panel = this.map.show();
    panel.revealSection('quality');
    return panel.runQuality();
  }
}

export class CompareStrategiesCommand implements Command {
  readonly id = 'cadc.compareStrategies';
  constructor(
    private readonly session: CurationSession,
    private readonly map: CapabilityMap,
    private readonly strategies: () => MapStrategy[],
  ) {}
  async execute(list?: string[]): Promise<Comparison | undefined> {
    if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage(UNTRUSTED);
    await this.session.ensureRun();
    if (!this.session.mapSource())
      return void vscode.window.showInformationMessage('CADC: run CADC: Curate first; strategies are compared on that run’s features.');
    const picked =
      list ??
      (
        await vscode.window.showQuickPick(
          this.strategies().map((s) => ({ ...s, picked: s.label === 'cadc' || s.label === 'random' })),
          { title: 'CADC: strategies to compare', canPickMany: true, ignoreFocusOut: true, matchOnDetail: true },
        )
      )?.map((s) => s.label);
    if (!picked?.length) return;
    const panel = this.map.show();
    panel.revealSection('compare');
    return panel.runCompare(picked);
  }
}
