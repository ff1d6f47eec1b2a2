// The settings this file adds to the form (input features, L1, discretize output, show test
// data), and the whole state in the page's address: every setting the server accepted is
// written into ?config=... (beside the token), and a page opened at such an address starts its
// session with those settings, so a link reopens the same experiment (and its Python script
// is the same script).
"use strict";

function setupFeatures(box, features) {
  for (const old of box.querySelectorAll("label.feature")) old.remove();  // the legend stays
  for (const [name, label] of Object.entries(features)) {
    const item = document.createElement("label");
    item.className = "feature";
    item.innerHTML = `<input type="checkbox" data-feature="${name}"> ${label}`;
    box.appendChild(item);
  }
}

function readExtras() {
  const features = [...document.querySelectorAll("#features input[data-feature]")]
    .filter((box) => box.checked).map((box) => box.dataset.feature);
  return {
    features, l1: Number(document.getElementById("l1").value),
    discretize: document.getElementById("discretize").checked,
    show_test: document.getElementById("show_test").checked,
  };
}

function writeFeatures(features) {
  for (const box of document.querySelectorAll("#features input[data-feature]")) {
    box.checked = features.includes(box.dataset.feature);
  }
}

// The settings of the address (?config=JSON), or null where there are none (or unreadable).
function configFromAddress() {
  const text = new URLSearchParams(window.location.search).get("config");
  if (!text) return null;
  try {
    const config = JSON.parse(text);
    return config && typeof config === "object" && !Array.isArray(config) ? config : null;
  } catch (error) {
    return null;
  }
}

// The accepted settings into the address (an uploaded CSV stays on this machine: its data set
// is left out, so a link opens the default one).
function configToAddress(config, token) {
  const shared = Object.assign({}, config);
  if (shared.dataset === "csv") delete shared.dataset;
  const query = new URLSearchParams({ token, config: JSON.stringify(shared) });
  window.history.replaceState(null, "", `${window.location.pathname}?${query}`);
}
