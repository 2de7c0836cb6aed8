/**
 * Textes français des relevés et de l'autofacturation (portefeuille de l'affilié, réglage de
 * l'administrateur de la marque), fusionnés dans le catalogue (i18n/fr.ts). Mêmes clés que
 * messages.en.ts.
 */
export const statementsFr = {
  "statements.title": "Relevés mensuels",
  "statements.hint": "Un relevé par mois et par devise : solde d’ouverture, commissions par programme, annulations, retraits payés et solde de clôture. Le solde est ce que vous avez gagné et qui ne vous a pas encore été payé (en attente, disponible et réservé).",
  "statements.empty": "Aucun relevé pour l’instant",
  "statements.emptyHint": "Votre premier relevé arrive le 1er du mois qui suit votre première commission.",
  "statements.period": "Mois",
  "statements.opening": "Solde d’ouverture",
  "statements.closing": "Solde de clôture",
  "statements.pdf": "PDF",
  "statements.csv": "CSV",
  "statements.download": "Télécharger le {format} de {period}",
  "statements.linkMissing": "Le fichier est en préparation : réessayez dans un instant.",
  "statements.invoicesTitle": "Autofactures",
  "statements.invoiceNumber": "Numéro",
  "statements.invoiceTotal": "Total",
  "statements.invoiceVat": "TVA",
  "statements.vatNotApplicable": "Non applicable",
  "statements.settingsTitle": "Relevés des affiliés et autofacturation",
  "statements.settingsHint": "Les relevés sont générés le 1er de chaque mois et envoyés par e-mail aux affiliés. Avec l’autofacturation, la marque émet une facture au nom de chaque affilié professionnel pour chaque retrait payé.",
  "statements.selfBillingEnabled": "Émettre des autofactures pour les affiliés professionnels",
  "statements.selfBillingVatRate": "Taux de TVA des affiliés assujettis",
  "statements.selfBillingVatRateHint": "Inclus dans le montant versé ; les affiliés non assujettis reçoivent la mention « TVA non applicable ».",
  "error.INVALID_PERIOD": "Indiquez un mois écoulé, au format AAAA-MM.",
  "error.INVALID_RATE": "Indiquez un taux entre 0 et 100 %.",
} as const;
