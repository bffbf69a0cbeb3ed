-- The analyst's way, without ratecard: the same five services' brochure
-- criteria written by hand as SQL over the flat caseload. SQL's NULL logic is
-- three-valued like ratecard's: WHERE keeps only rows where every eligibility
-- criterion is TRUE and every not-suitable criterion is FALSE, so an unknown
-- score (NULL) or a judgement (NULL here) keeps a person out of "eligible".
.timer on
SELECT 'kss-crc/resolve', count(*) FROM caseload
 WHERE region = 'Kent, Surrey and Sussex' AND area IN ('Kent', 'Surrey', 'Sussex')
   AND sex = 'male' AND age >= 18 AND index_offence = 'violence'
   AND ovp > 27
   AND NOT (sex = 'female')
   AND NOT (offences LIKE '%|sexually_motivated|%' OR offences LIKE '%|sexual|%')
   AND NOT (offences LIKE '%|domestic_abuse|%' OR offences LIKE '%|intimate_partner_violence|%')
   AND NOT (flags LIKE '%|unstable_mental_health|%' OR flags LIKE '%|substance_misuse|%');
SELECT 'kss-crc/drink-impaired-drivers', count(*) FROM caseload
 WHERE region = 'Kent, Surrey and Sussex' AND area IN ('Kent', 'Surrey', 'Sussex')
   AND sex IN ('male', 'female') AND ogrs < 50 AND order_months >= 12
   AND NOT (audit > 20 OR flags LIKE '%|alcohol_dependent|%' OR flags LIKE '%|drug_dependent|%')
   AND NOT (offences LIKE '%|drink_driving|%' AND NULL)
   AND NOT (convictions >= 4);
SELECT 'kss-crc/thinking-skills-programme', count(*) FROM caseload
 WHERE region = 'Kent, Surrey and Sussex' AND area IN ('Kent', 'Surrey', 'Sussex')
   AND (sex IN ('male', 'female') AND NULL)
   AND ogrs BETWEEN 25 AND 90
   AND oasys_total > 5 AND (oasys_11_6 = 2 OR oasys_11_7 = 2)
   AND oasys_total > 7
   AND NOT (ogrs >= 90)
   AND NOT (flags LIKE '%|unstable_mental_health|%' OR flags LIKE '%|substance_misuse|%');
SELECT 'kss-crc/building-better-relationships', count(*) FROM caseload
 WHERE region = 'Kent, Surrey and Sussex' AND area IN ('Kent', 'Surrey', 'Sussex')
   AND sex = 'male' AND index_offence = 'intimate_partner_violence'
   AND sara IN ('medium', 'high')
   AND oasys_total > 5 AND (oasys_11_6 = 2 OR oasys_11_7 = 2)
   AND oasys_total > 7
   AND NOT (sex = 'female')
   AND NOT (flags LIKE '%|denies_responsibility|%')
   AND NOT (flags LIKE '%|unstable_mental_health|%' OR flags LIKE '%|substance_misuse|%');
SELECT 'kss-crc/senior-attendance-centre', count(*) FROM caseload
 WHERE region = 'Kent, Surrey and Sussex' AND area IN ('Kent', 'Surrey', 'Sussex')
   AND age BETWEEN 18 AND 24
   AND (rosh = 'low' OR (rosh = 'medium' AND NULL))
   AND NOT (age > 24);
