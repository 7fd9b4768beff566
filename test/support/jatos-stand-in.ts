/**
 * A stand-in for jatos.js (which JATOS serves beside a study's page and is not on npm): the
 * calls the study makes, as JATOS documents them (jatos.onLoad, jatos.urlQueryParameters,
 * jatos.appendResultData, jatos.submitResultData, jatos.endStudy, jatos.endStudyAndRedirect), each
 * sent to the test's host as a POST, one after another as jatos.js queues them, so the test sees
 * what a JATOS server would receive.
 */
export const JATOS_STAND_IN = `
(function () {
  var queue = Promise.resolve();
  var post = function (path, body) { queue = queue.then(function () { return fetch(path, { method: 'POST', body: body }); }).then(function () {}); return queue; };
  var query = {};
  new URLSearchParams(location.search).forEach(function (v, k) { query[k] = v; });
  window.jatos = {
    urlQueryParameters: query,
    onLoad: function (callback) { setTimeout(callback, 0); },
    appendResultData: function (data) { return post('/__jatos/append', typeof data === 'string' ? data : JSON.stringify(data)); },
    submitResultData: function (data) { return post('/__jatos/result', typeof data === 'string' ? data : JSON.stringify(data)); },
    endStudy: function (successful, message) { return post('/__jatos/end', JSON.stringify({ successful: successful, message: message || null })); },
    endStudyAndRedirect: function (url, successful, message) { post('/__jatos/end', JSON.stringify({ successful: successful, message: message || null, url: url })); },
  };
})();
`;
