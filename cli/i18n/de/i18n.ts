export default {
  'i18n.unknownLocale': 'unbekannte Sprache {lang} (bekannt: {known})'
}
