import { isoWithOffset } from "../clock.ts";
import type { OperatingFigures } from "../limits/operatingTime.ts";

export interface TimeBlock extends OperatingFigures {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
}

/** The `time` block of every REST response (and of every batch command in result_time). */
export function timeBlock(
  startMs: number,
  finishMs: number,
  processingMs: number,
  figures: OperatingFigures,
): TimeBlock {
  return {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration: (finishMs - startMs) / 1000,
    processing: processingMs / 1000,
    date_start: isoWithOffset(startMs),
    date_finish: isoWithOffset(finishMs),
    operating_reset_at: Math.floor(figures.operating_reset_at),
    operating: figures.operating,
  };
}
