// Một Cửa portal — optional enhancements only; every flow works without this file.
(function () {
  "use strict";
  var copy = document.getElementById("sao-chep");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () {
        copy.textContent = "Đã sao chép";
      });
    });
  }
})();
