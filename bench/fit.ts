// Least-squares fits for the scaling benchmark: a straight line y = a + b·x and a power law
// y = c·x^p (a straight line in log-log), each with its R².

export interface LinearFit {
  intercept: number;
  slope: number;
  r2: number;
}

export interface PowerFit {
  exponent: number;
  coefficient: number;
  r2: number;
}

export function linearFit(x: number[], y: number[]): LinearFit {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  return { intercept, slope, r2 };
}

export function powerFit(x: number[], y: number[]): PowerFit {
  const ok = x.map((v, i) => v > 0 && y[i] > 0);
  const lx = x.filter((_, i) => ok[i]).map(Math.log);
  const ly = y.filter((_, i) => ok[i]).map(Math.log);
  const f = linearFit(lx, ly);
  return { exponent: f.slope, coefficient: Math.exp(f.intercept), r2: f.r2 };
}

/** Rounds every number in a fit for a results file. */
export function roundFit<T extends object>(f: T, digits = 4): T {
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(digits)) : v])) as T;
}
