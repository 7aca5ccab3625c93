export default {
  'i18n.unknownLocale': 'unknown language {lang} (known: {known})'
}
