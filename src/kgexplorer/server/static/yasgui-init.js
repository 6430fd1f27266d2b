// kgexplorer's YASGUI page: the query editor and result views of the Zazuko YASGUI build (copied from its npm
// package at build time), pointed at this endpoint, with every lookup that would leave this server switched
// off: no prefix.cc prefixes, no LOV property or class suggestions, no link shortener, no endpoint catalogue
// but this one. The settings come from the page's data attributes (written and escaped by the server).
(function () {
  "use strict";
  var holder = document.getElementById("yasgui");
  var endpoint = new URL(holder.dataset.endpoint, window.location.href).href;
  var yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    createShortLink: undefined,
    persistenceId: "kgexplorer-yasgui",
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { prefixCcApi: undefined, autocompleters: ["prefixes", "variables"], value: holder.dataset.query },
  });
  window.kgexplorerYasgui = yasgui;
})();
