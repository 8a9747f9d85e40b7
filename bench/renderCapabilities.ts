// The capabilities benchmark's section, from capabilities.json: agreement with each label per discovery
// variant beside TF-IDF k-means at the same K, the K `auto` chose against the labels' value counts, and
// seed stability (of the capabilities and of the probe groups they are built from).
import { num, table } from './renderText';
import type { Json } from './renderText';

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');

/** The capabilities section onto `md` (capabilities.svg is written by the benchmark itself). */
export function capabilities(j: Json, _out: Map<string, string>, md: string[]): void {
  const ds: Json[] = j.datasets;
  const cols = ds.flatMap((d) => Object.keys(d.labels).map((l) => ({ d, l })));
  const names: string[] = ds[0].variants.map((v: Json) => v.name);
  const variant = (d: Json, n: string) => d.variants.find((v: Json) => v.name === n);
  const tfidf = (d: Json, K: number) => d.baselines[String(K)]?.['tf-idf k-means (instruction text)'];
  md.push(
    '## Capabilities (`npm run bench:capabilities` → `capabilities.json`)',
    '',
    `${j.method} Seeds ${ds[0].seeds.join(', ')}.`,
    '',
    "NMI / ARI against each label, mean over seeds (K = the mean K found); last columns: stability of the capabilities, then of the probe groups, as mean ARI between seeds, per dataset, and what a single run reports of it (the graph's split-half reliability, mean over seeds):",
    '',
    table(
      [
        'variant',
        ...cols.map(({ d, l }) => `${d.name} by \`${l}\` (${d.labels[l].values} values)`),
        `stability (${ds.map((d) => d.name).join(' / ')})`,
        'group stability',
        'in-run reliability',
      ],
      [
        ...names.map((n) => [
          variant(ds[0], n)?.isDefault ? `**${n}**` : n,
          ...cols.map(({ d, l }) => {
            const v = variant(d, n);
            return v ? `${f3(v.mean[l].nmi)} / ${f3(v.mean[l].ari)} (K ${num(v.mean.K, 2)})` : '—';
          }),
          ds.map((d) => f3(variant(d, n)?.stability ?? NaN)).join(' / '),
          ds.map((d) => f3(variant(d, n)?.groupStability ?? NaN)).join(' / '),
          ds.map((d) => f3(variant(d, n)?.reliability ?? NaN)).join(' / '),
        ]),
        [
          'tf-idf k-means (instruction text), at the default’s K of each seed',
          ...cols.map(({ d, l }) => {
            const def = d.variants.find((v: Json) => v.isDefault);
            const per = def.perSeed.map((p: Json, s: number) => tfidf(d, p.K)?.perSeed[s]?.scores[l]).filter(Boolean);
            const m = (k: 'nmi' | 'ari') => per.reduce((a: number, x: Json) => a + x[k], 0) / per.length;
            return per.length ? `${f3(m('nmi'))} / ${f3(m('ari'))}` : '—';
          }),
          '',
          '',
          '',
        ],
      ],
    ),
    '',
    'The K `auto` chose (default variant) against each label’s number of values, and the stability curve it was chosen by (mean pairwise ARI of the perturbed runs per candidate K, first seed; the chosen K in bold):',
    '',
    table(
      ['dataset', 'label values', 'K per seed', 'stability by K (seed 1)'],
      ds.map((d) => {
        const def = d.variants.find((v: Json) => v.isDefault);
        const curve: Json[] = def.perSeed[0].stabilityByK ?? [];
        return [
          d.name,
          Object.entries(d.labels)
            .map(([l, x]) => `${l} ${(x as Json).values}`)
            .join(', '),
          def.perSeed.map((p: Json) => p.K).join(', '),
          curve.map((c) => (c.k === def.perSeed[0].K ? `**${c.k}: ${c.ari.toFixed(2)}**` : `${c.k}: ${c.ari.toFixed(2)}`)).join(' · ') ||
            '—',
        ];
      }),
    ),
    '',
    'Forced K = the number of label values (2–64), default settings, NMI / ARI (mean over seeds), TF-IDF k-means at the same K beside it:',
    '',
    table(
      ['dataset, label, K', 'capabilities', 'tf-idf k-means'],
      ds.flatMap((d) =>
        (d.forcedK ?? []).map((fk: Json) => {
          const t = tfidf(d, fk.k)?.mean[fk.label];
          return [
            `${d.name} \`${fk.label}\`, K = ${fk.k}`,
            `${f3(fk.mean[fk.label].nmi)} / ${f3(fk.mean[fk.label].ari)}`,
            t ? `${f3(t.nmi)} / ${f3(t.ari)}` : '—',
          ];
        }),
      ),
    ),
    '',
    ...(j.notes ?? []).flatMap((n: string) => [`- ${n}`]),
    '',
    `Discovery + attribution per run (s), default variant / mean over all variants: ${ds.map((d) => `${d.name} ${d.variants.find((v: Json) => v.isDefault)?.secondsPerRun ?? '—'} / ${d.seconds.discoveryMeanPerRun}`).join(', ')}; trajectories (warm-up + trajectories, all seeds, s): ${ds.map((d) => `${d.name} ${d.seconds.trajectories}`).join(', ')}.${j.loadavg ? ` Load average at start / end: ${j.loadavg.before.join(' ')} / ${j.loadavg.after.join(' ')}.` : ''}`,
    '',
  );
}
