// An address the app does not know.

import { notFoundPage } from "../parts.js";

export default function notFound(root) {
  notFoundPage(root);
}
