// @ts-check
// An address the app does not know.

import { notFoundPage } from "../parts.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default function notFound(root) {
  notFoundPage(root);
}
