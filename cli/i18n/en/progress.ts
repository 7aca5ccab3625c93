export default {
  'progress.line': '{label}: {percent}% {done}/{total} {rate}',
  'progress.task.sharing': 'sharing',
  'progress.task.fetching': 'fetching',
  'progress.task.exporting': 'exporting'
}
