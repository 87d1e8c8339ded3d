// @ts-check
// The consumption chart of one meter (GET /accounts/{n}/consumption): an inline SVG of bars
// drawn here, no library, and a table of the same numbers. `layout` is the geometry alone,
// without a DOM, so that it can be tested in node; `consumptionChart` draws it.
//
// A bar's height is proportional to the period's consumption; a period without one (no
// reading, a first reading, a reading below the previous) has no bar, only a dashed mark; a
// consumption that covers more than one month (after a gap) has a dashed outline (and a pale
// fill unless current) and «N мес.» above it, so that two months' water does not pass for one
// month's; the current period has another fill, a bold month and the label «сейчас: …».

import * as fmt from "./format.js";
import { h } from "./ui.js";

/** @import { ConsumptionPoint, MeterConsumption } from "./api.js" */

/** The SVG's own units (it scales to the width it is given). */
export const WIDTH = 320;
export const HEIGHT = 170;
/** The plot: bars stand on BASELINE and are at most PLOT_HEIGHT tall. */
export const BASELINE = 140;
export const PLOT_HEIGHT = 110;

const SVG = "http://www.w3.org/2000/svg";
const SHORT_MONTHS = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"];

/** "2026-11" -> "ноя" @param {string} period */
export function shortMonth(period) {
  return SHORT_MONTHS[Number(period.slice(5, 7)) - 1] || period;
}

/** "12.500" -> 12500: litres, integer arithmetic on the contract's string. @param {string} text */
export function litres(text) {
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 1000 + Number(fraction.padEnd(3, "0").slice(0, 3));
}

/**
 * @typedef {object} Slot One period of the chart.
 * @property {string} period
 * @property {string | null} consumption
 * @property {number | null} spans
 * @property {boolean} current
 * @property {number} x the slot's left edge
 * @property {number} width the bar's width
 * @property {number} center the slot's middle
 * @property {number | null} height the bar's height; null: no bar (a gap)
 */

/**
 * The chart's geometry: one slot per point, in order; bars scaled so the largest consumption
 * is PLOT_HEIGHT tall.
 * @param {ConsumptionPoint[]} points
 * @param {string} current the current period
 * @returns {Slot[]}
 */
export function layout(points, current) {
  const amounts = points.map((p) => (p.consumption === null ? null : litres(p.consumption)));
  const largest = Math.max(0, ...amounts.map((a) => a ?? 0));
  const slot = WIDTH / Math.max(points.length, 1);
  const width = Math.round(slot * 0.64 * 100) / 100;
  return points.map((p, i) => {
    const amount = amounts[i];
    const x = Math.round(i * slot * 100) / 100;
    return {
      period: p.period,
      consumption: p.consumption,
      spans: p.spans_periods,
      current: p.period === current,
      x,
      width,
      center: Math.round((x + slot / 2) * 100) / 100,
      height:
        amount === null || amount === undefined
          ? null
          : largest === 0
            ? 0
            : Math.round(((amount * PLOT_HEIGHT) / largest) * 100) / 100,
    };
  });
}

/**
 * An SVG element.
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {...(Node | string)} children
 */
function svg(tag, attributes, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** What a consumption covers, in words. @param {Slot} slot */
function spanWords(slot) {
  return slot.spans !== null && slot.spans > 1 ? ` (за ${slot.spans} мес.)` : "";
}

/**
 * The chart and its table for one meter's series.
 * @param {MeterConsumption} series
 * @param {string} current the current period
 * @param {string} title the meter's title, for the chart's accessible name
 */
export function consumptionChart(series, current, title) {
  const slots = layout(series.points, current);
  const marks = slots.flatMap((slot) => {
    const label = svg(
      "text",
      { x: slot.center, y: BASELINE + 14, "text-anchor": "middle", class: slot.current ? "month current" : "month" },
      shortMonth(slot.period),
    );
    if (slot.height === null) {
      const gap = svg("line", {
        x1: Math.round((slot.center - slot.width / 2) * 100) / 100,
        x2: Math.round((slot.center + slot.width / 2) * 100) / 100,
        y1: BASELINE - 1,
        y2: BASELINE - 1,
        class: "gap",
        "data-period": slot.period,
      });
      return [gap, label];
    }
    const kind = ["bar", slot.current ? "current" : "", slot.spans !== null && slot.spans > 1 ? "spans" : ""];
    const bar = svg("rect", {
      x: Math.round((slot.center - slot.width / 2) * 100) / 100,
      y: Math.round((BASELINE - slot.height) * 100) / 100,
      width: slot.width,
      height: slot.height,
      class: kind.filter(Boolean).join(" "),
      "data-period": slot.period,
      "data-consumption": slot.consumption ?? "",
    });
    const above =
      slot.spans !== null && slot.spans > 1
        ? svg(
            "text",
            { x: slot.center, y: BASELINE - slot.height - 4, "text-anchor": "middle", class: "spans-label" },
            `${slot.spans} мес.`,
          )
        : null;
    return above ? [bar, above, label] : [bar, label];
  });
  const now = slots.find((s) => s.current);
  const chart = svg(
    "svg",
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: "chart",
      role: "img",
      "aria-label": `${title}: расход по месяцам за год. Цифры — в таблице под графиком.`,
    },
    svg("line", { x1: 0, x2: WIDTH, y1: BASELINE, y2: BASELINE, class: "axis" }),
    ...marks,
    ...(now
      ? [
          svg(
            "text",
            { x: WIDTH, y: 10, "text-anchor": "end", class: "now-label" },
            `сейчас: ${shortMonth(now.period)}`,
          ),
        ]
      : []),
  );
  const rows = series.points.map((p, i) =>
    h(
      "tr",
      { "data-period": p.period, class: slots[i].current ? "current" : null },
      h("th", { scope: "row" }, `${fmt.period(p.period)}${slots[i].current ? " (текущий)" : ""}`),
      h("td", {}, p.value === null ? "нет показаний" : fmt.volume(p.value)),
      h(
        "td",
        { "data-consumption": p.consumption ?? "" },
        p.consumption === null ? "—" : `${fmt.volume(p.consumption)}${spanWords(slots[i])}`,
      ),
    ),
  );
  return h(
    "div",
    { class: "consumption", "data-meter": series.meter_number },
    chart,
    h(
      "details",
      {},
      h("summary", {}, "Таблица расхода"),
      h(
        "table",
        { class: "consumption-table" },
        h("caption", {}, `Счетчик ${series.meter_number}: показания и расход по месяцам`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Месяц"),
            h("th", { scope: "col" }, "Показание"),
            h("th", { scope: "col" }, "Расход"),
          ),
        ),
        h("tbody", {}, rows),
      ),
    ),
  );
}
