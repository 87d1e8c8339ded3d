// An address the app does not know.

import { h, page, linkButton } from "../ui.js";

export default function notFound(root) {
  page(root, "Страница не найдена",
    h("p", {}, "Такой страницы нет. Проверьте адрес или вернитесь на главную."),
    linkButton("#/", "На главную"));
}
