'use client';

import dynamic from 'next/dynamic';
import { Loading } from '../ui';

/**
 * The charts, loaded when a panel first shows them: recharts is a third of the graph page's script,
 * which the graph's first render would otherwise wait for although no panel is open yet.
 */
export const SeriesCharts = dynamic(() => import('./SeriesCharts').then((m) => m.SeriesCharts), { ssr: false, loading: () => <Loading label="Loading metrics…" /> });
