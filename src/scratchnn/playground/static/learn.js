// The Learn panel: the formulas of the network on the page, as the server sends them with the
// session's state (session.py's state()["lesson"], made by learn.py): a title, a sentence or
// two, and MathML the browser renders itself, from the documentation's own formulas
// (scratchnn/formulas.py). Nothing here holds a formula.
"use strict";

function renderLesson(box, lesson) {
  box.innerHTML = "";
  for (const section of lesson) {
    const part = document.createElement("section");
    part.className = "lesson";
    const title = document.createElement("h3");
    title.textContent = section.title;
    const text = document.createElement("p");
    text.textContent = section.text;
    part.append(title, text);
    for (const markup of section.math) {
      const math = document.createElement("div");
      math.className = "formula";
      math.innerHTML = markup;  // MathML made by the server from its own formulas
      part.appendChild(math);
    }
    box.appendChild(part);
  }
}
