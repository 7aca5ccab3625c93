export default {
  'progress.line': '{label}: {percent}% {done}/{total} {rate}',
  'progress.task.sharing': 'teile',
  'progress.task.fetching': 'rufe ab',
  'progress.task.exporting': 'exportiere'
}
