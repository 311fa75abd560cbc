// =====================================================================================================
// Concord version check — common module of the configuration extension "Конкорд" (optional part).
//
// Module:      ОбщийМодуль.КонкордПроверкаВерсии
// Properties:  Сервер = Истина, ВызовСервера = Ложь, Привилегированный = Ложь,
//              ПовторноеИспользование = Не использовать.
//
// Metadata objects of the extension that refer to this module (see docs/1c/README.md):
//   Документ.ЗаказКлиента, Справочник.Контрагенты   borrowed objects, each with a new attribute
//       КонкордОжидаемаяВерсияДанных: Строка(20), переменная длина, ПроверкаЗаполнения = Не проверять.
//   ПодпискаНаСобытие.КонкордПроверкаВерсииДокумента    Событие = ПередЗаписью,
//       Источник = ДокументОбъект.ЗаказКлиента,
//       Обработчик = КонкордПроверкаВерсии.ПередЗаписьюДокумента
//   ПодпискаНаСобытие.КонкордПроверкаВерсииСправочника  Событие = ПередЗаписью,
//       Источник = СправочникОбъект.Контрагенты,
//       Обработчик = КонкордПроверкаВерсии.ПередЗаписьюСправочника
//
// Why: the standard OData interface has no optimistic locking. A DataVersion or an If-Match sent with
// a PATCH is ignored, so a client that read an object, decided, and then PATCHes can overwrite a
// change a manager made in between. Concord narrows this by re-reading right before its PATCH, but a
// window of one round trip remains. With this module Concord puts the DataVersion it read into
// КонкордОжидаемаяВерсияДанных of the PATCH body. The handler below compares it with the object's
// version INSIDE the write transaction, under an exclusive lock on the object, so the check and the
// write are one step, and refuses the write when the object has moved on.
//
// The attribute is a transport, not data: the handler clears it on every write, so it is never
// stored and a read always shows it empty.
//
// Contract with Concord (identical in apps/sandbox-1c, VERSION_CHECK_ATTRIBUTE):
//   request:  PATCH …/Document_ЗаказКлиента(guid'…')  {"КонкордОжидаемаяВерсияДанных":"AAAAAAAAAAE=", …}
//   refusal:  500, odata.error code -1, message starting "Concord: объект изменён после чтения"
//             and naming both versions; nothing is written and nothing is notified.
//   An empty or absent value is not checked (a manager's writes, exchanges, older Concord versions).
// =====================================================================================================

#Область ПрограммныйИнтерфейс

#Область ОбработчикиПодписок

// Subscription КонкордПроверкаВерсииДокумента (ПередЗаписью of Документ.ЗаказКлиента).
// Runs inside the write transaction, before the object is written.
//
// Parameters:
//   Источник        - ДокументОбъект.ЗаказКлиента - the document being written.
//   Отказ           - Булево - set to Истина when the expected version is outdated.
//   РежимЗаписи     - РежимЗаписиДокумента.
//   РежимПроведения - РежимПроведенияДокумента.
//
Процедура ПередЗаписьюДокумента(Источник, Отказ, РежимЗаписи, РежимПроведения) Экспорт
	
	ПроверитьОжидаемуюВерсию(Источник, Отказ);
	
КонецПроцедуры

// Subscription КонкордПроверкаВерсииСправочника (ПередЗаписью of Справочник.Контрагенты).
//
// Parameters:
//   Источник - СправочникОбъект.Контрагенты - the item being written.
//   Отказ    - Булево.
//
Процедура ПередЗаписьюСправочника(Источник, Отказ) Экспорт
	
	ПроверитьОжидаемуюВерсию(Источник, Отказ);
	
КонецПроцедуры

#КонецОбласти

#КонецОбласти

#Область СлужебныеПроцедурыИФункции

Процедура ПроверитьОжидаемуюВерсию(Источник, Отказ)
	
	ОжидаемаяВерсия = СокрЛП(Источник.КонкордОжидаемаяВерсияДанных);
	
	// Cleared first, whatever follows: the value must never be stored. Otherwise the next write of
	// the object (a manager's, a posting) would be checked against an old version and refused.
	Источник.КонкордОжидаемаяВерсияДанных = "";
	
	// An exchange loads data as it is (ОбменДанными.Загрузка, also OData's 1C_OData_DataLoadMode):
	// no business logic runs, so no check. Concord must not send checked writes in that mode.
	Если Отказ Или Источник.ОбменДанными.Загрузка Тогда
		Возврат;
	КонецЕсли;
	
	// A new object has no version to compare with; an empty value means "not checked".
	Если Не ЗначениеЗаполнено(ОжидаемаяВерсия) Или Источник.ЭтоНовый() Тогда
		Возврат;
	КонецЕсли;
	
	// ВерсияДанных is already the string OData calls DataVersion: compare strings, do not encode.
	// Источник.ВерсияДанных is the version of the object as the OData request read it for this write.
	// The stored version is read again under an exclusive lock on the object, so a write by another
	// session cannot slip in between this check and our write (it waits for the lock, and then its
	// own write moves the version). Checking both does not rely on how the platform treats an object
	// that changed after it was read.
	ЗаблокироватьОбъект(Источник.Ссылка);
	ХранимаяВерсия = ХранимаяВерсияДанных(Источник.Ссылка);
	Если ОжидаемаяВерсия = Источник.ВерсияДанных И ОжидаемаяВерсия = ХранимаяВерсия Тогда
		Возврат;
	КонецЕсли;
	
	// Отказ alone would give the client a generic "не удалось записать"; the exception text is what
	// OData returns (500, code -1), and Concord recognises it by its prefix.
	Отказ = Истина;
	ВызватьИсключение СтрШаблон(
		"Concord: объект изменён после чтения: ожидалась версия данных %1, текущая %2",
		ОжидаемаяВерсия, ?(ЗначениеЗаполнено(ХранимаяВерсия), ХранимаяВерсия, Источник.ВерсияДанных));
	
КонецПроцедуры

// Exclusive managed lock on the object's record until the end of the write transaction. The
// platform's own write takes the same lock, so it is free here for the session that writes.
//
Процедура ЗаблокироватьОбъект(Ссылка)
	
	Блокировка = Новый БлокировкаДанных;
	ЭлементБлокировки = Блокировка.Добавить(Ссылка.Метаданные().ПолноеИмя());
	ЭлементБлокировки.УстановитьЗначение("Ссылка", Ссылка);
	ЭлементБлокировки.Режим = РежимБлокировкиДанных.Исключительный;
	Блокировка.Заблокировать();
	
КонецПроцедуры

Функция ХранимаяВерсияДанных(Ссылка)
	
	// The user writing may have no right to read every field; the version is not a secret.
	УстановитьПривилегированныйРежим(Истина);
	
	Запрос = Новый Запрос;
	Запрос.Текст = СтрШаблон(
	"ВЫБРАТЬ
	|	Т.ВерсияДанных КАК ВерсияДанных
	|ИЗ
	|	%1 КАК Т
	|ГДЕ
	|	Т.Ссылка = &Ссылка", Ссылка.Метаданные().ПолноеИмя());
	Запрос.УстановитьПараметр("Ссылка", Ссылка);
	Выборка = Запрос.Выполнить().Выбрать();
	Если Выборка.Следующий() Тогда
		Возврат Выборка.ВерсияДанных;
	КонецЕсли;
	Возврат "";
	
КонецФункции

#КонецОбласти
