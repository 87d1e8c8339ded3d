// @ts-check
// "Контактный центр": Адрес, Режим работы, Телефон (tap to call), as the guide shows it.

import * as api from "../api.js";
import { h, page, fill } from "../ui.js";
import { contactCenter, load } from "../parts.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function contacts(root) {
  const box = h("div");
  page(root, "Контактный центр", box);
  const info = await load(box, api.getInfo);
  if (info) fill(box, contactCenter(info));
}
